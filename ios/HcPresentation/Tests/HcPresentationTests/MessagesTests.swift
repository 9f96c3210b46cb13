import Foundation
import XCTest
import HcCore
@testable import HcPresentation

/// Every core error has a message, and every message has words in English and Chinese (and the
/// same keys as the Android app).
final class MessagesTests: XCTestCase {
    /// One of each HcError variant (the `switch` in `uiMessage` is exhaustive at compile time).
    let everyError: [(HcError, UiMessage)] = [
        (.NotAResetQr, UiMessage(.errorNotAResetQr)),
        (.InvalidQr, UiMessage(.errorInvalidQr)),
        (.DeviceNotAdded(serial: "DS0000001"), UiMessage(.errorDeviceNotAdded, "DS0000001")),
        (.DeviceAddedByOthers(serial: "DS0000002"), UiMessage(.errorDeviceAddedByOthers, "DS0000002")),
        (.NotLoggedIn, UiMessage(.errorNotLoggedIn)),
        (.SessionExpired, UiMessage(.errorSessionExpired)),
        (.RateLimited(retryAfterSecs: 90), UiMessage(.errorRateLimited, "90")),
        (.Network(detail: "could not connect"), UiMessage(.errorNetwork)),
        (.Server(status: 503, code: "unavailable", detail: "down"), UiMessage(.errorServer, "503")),
        (.Server(status: 401, code: "invalid_credentials", detail: "x"), UiMessage(.errorInvalidCredentials)),
        (.Server(status: 409, code: "email_taken", detail: "x"), UiMessage(.errorEmailTaken)),
        (.Server(status: 400, code: "weak_password", detail: "x"), UiMessage(.errorWeakPassword)),
        (.Server(status: 400, code: "invalid_email", detail: "x"), UiMessage(.errorInvalidEmail)),
        (.Server(status: 400, code: "invalid_serial", detail: "x"), UiMessage(.errorInvalidSerial)),
        (.Server(status: 403, code: "wrong_label_code", detail: "x"), UiMessage(.errorWrongLabelCode)),
        (.Server(status: 409, code: "already_added", detail: "x"), UiMessage(.errorAlreadyAdded)),
        (.Storage(detail: "keychain locked"), UiMessage(.errorStorage)),
        (.InvalidFrame(detail: "short buffer"), UiMessage(.errorInvalidFrame)),
    ]

    func testEveryCoreErrorMapsToItsMessageAndNeverShowsTheDetail() {
        for (error, expected) in everyError {
            XCTAssertEqual(error.uiMessage, expected, "\(error)")
            XCTAssertFalse(error.uiMessage.args.contains { $0.contains("down") || $0.contains("locked") || $0.contains("connect") })
        }
        // An exhaustive switch: a new HcError variant fails to compile here until it has a case above.
        func variant(_ error: HcError) -> Int {
            switch error {
            case .NotAResetQr: return 0
            case .InvalidQr: return 1
            case .DeviceNotAdded: return 2
            case .DeviceAddedByOthers: return 3
            case .NotLoggedIn: return 4
            case .SessionExpired: return 5
            case .RateLimited: return 6
            case .Network: return 7
            case .Server: return 8
            case .Storage: return 9
            case .InvalidFrame: return 10
            }
        }
        XCTAssertEqual(Set(everyError.map { variant($0.0) }), Set(0...10), "one case per HcError variant")
    }

    func testEachErrorOffersTheActionTheUserCanTake() {
        XCTAssertEqual(HcError.DeviceNotAdded(serial: "X").failureAction, .addDevice)
        XCTAssertEqual(HcError.DeviceAddedByOthers(serial: "X").failureAction, .scanAgain)
        XCTAssertEqual(HcError.SessionExpired.failureAction, .logIn)
        XCTAssertEqual(HcError.Network(detail: "x").failureAction, .retry)
        XCTAssertEqual(HcError.NotAResetQr.failureAction, .scanAgain)
    }

    /// ios/ (this file is ios/HcPresentation/Tests/HcPresentationTests/MessagesTests.swift).
    private var iosDir: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// key -> text of a Localizable.strings file (`"key" = "text";` lines, comments skipped).
    private func strings(_ lproj: String) throws -> [String: String] {
        let url = iosDir.appendingPathComponent("App/HcApp/Resources/\(lproj).lproj/Localizable.strings")
        let text = try String(contentsOf: url, encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("\"") {
            let parts = line.components(separatedBy: "\" = \"")
            guard parts.count == 2, parts[1].hasSuffix("\";") else { XCTFail("\(lproj): bad line \(line)"); continue }
            let key = String(parts[0].dropFirst())
            XCTAssertNil(result[key], "\(lproj): \(key) twice")
            result[key] = String(parts[1].dropLast(2))
        }
        return result
    }

    private func placeholders(_ text: String, suffix: String) -> Set<Int> {
        var found = Set<Int>()
        var rest = Substring(text)
        while let r = rest.range(of: "%") {
            rest = rest[r.upperBound...]
            let digits = rest.prefix { $0.isNumber }
            if let n = Int(digits), rest.dropFirst(digits.count).hasPrefix("$" + suffix) { found.insert(n) }
        }
        return found
    }

    func testEveryMessageIdHasEnglishAndChineseStringsWithItsArguments() throws {
        for lproj in ["en", "zh-Hans"] {
            let table = try strings(lproj)
            for id in MessageId.allCases {
                guard let text = table[id.key], !text.isEmpty else { XCTFail("\(lproj) has no \(id.key)"); continue }
                XCTAssertEqual(placeholders(text, suffix: "@"), Set(1...max(1, id.argCount)).filter { $0 <= id.argCount },
                               "\(lproj)/\(id.key): \(text)")
            }
        }
    }

    func testTheChineseStringsCoverEveryEnglishString() throws {
        let en = try strings("en"), zh = try strings("zh-Hans")
        XCTAssertEqual(Set(en.keys), Set(zh.keys))
        for (key, text) in en {
            XCTAssertEqual(placeholders(text, suffix: "@"), placeholders(zh[key] ?? "", suffix: "@"), key)
        }
    }

    /// The two apps show the same messages: the Android strings.xml has the same keys and arguments.
    func testTheAndroidAppHasTheSameKeys() throws {
        for (lproj, values) in [("en", "values"), ("zh-Hans", "values-zh-rCN")] {
            let url = iosDir.deletingLastPathComponent().appendingPathComponent("android/app/src/main/res/\(values)/strings.xml")
            let xml = try String(contentsOf: url, encoding: .utf8)
            var android: [String: String] = [:]
            for chunk in xml.components(separatedBy: "<string name=\"").dropFirst() {
                let parts = chunk.components(separatedBy: "\">")
                guard parts.count >= 2 else { continue }
                let name = parts[0].components(separatedBy: "\"")[0]
                android[name] = parts[1...].joined(separator: "\">").components(separatedBy: "</string>")[0]
            }
            android.removeValue(forKey: "app_name")
            let ios = try strings(lproj)
            XCTAssertEqual(Set(ios.keys), Set(android.keys), lproj)
            for (key, text) in ios {
                XCTAssertEqual(placeholders(text, suffix: "@"), placeholders(android[key] ?? "", suffix: "s"), "\(lproj) \(key)")
            }
        }
    }
}

import Foundation
import XCTest
import HcCore
@testable import HcPresentation

/// Every message id of the core has words in English and Chinese (and the same keys as the Android
/// app).
final class MessagesTests: XCTestCase {
    func testErrorsArriveTypedAndTheCoreSaysWhatToShowAndOffer() {
        let wrong = HcError.Server(status: 401, code: .invalidCredentials, detail: "the server's words")
        XCTAssertEqual(errorMessage(error: wrong), UiMessage(id: .errorInvalidCredentials, args: []))
        XCTAssertEqual(errorAction(error: wrong), .correctInput)
        XCTAssertEqual(errorMessage(error: .Server(status: 503, code: .unavailable, detail: "down")),
                       UiMessage(id: .errorServer, args: ["503"]))
        XCTAssertEqual(errorAction(error: .RateLimited(retryAfterSecs: 90)), .waitThenRetry(seconds: 90))
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
            for id in allMessageIds() {
                let argCount = Int(messageArgCount(id: id))
                guard let text = table[id.key], !text.isEmpty else { XCTFail("\(lproj) has no \(id.key)"); continue }
                XCTAssertEqual(placeholders(text, suffix: "@"), Set(1...max(1, argCount)).filter { $0 <= argCount },
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

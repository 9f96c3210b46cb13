import Foundation
import XCTest
@testable import HcCore

/// What a newcomer meets: the password rule stated once, the session kept to its cloud, one
/// deadline per QR.
final class AccountAndCloudTests: XCTestCase {
    func testRegistrationStatesTheRuleCatchesAMistypedConfirmationAndLogsIn() async throws {
        XCTAssertEqual(passwordRuleMessage().id, .passwordRule)
        try checkNewPassword(email: "me@example.test", password: "correct horse battery staple", passwordAgain: "correct horse battery staple")
        XCTAssertThrowsError(try checkNewPassword(email: "", password: "correct horse", passwordAgain: "correct hrose")) {
            XCTAssertEqual($0 as? HcError, .PasswordsDiffer)
        }
        XCTAssertThrowsError(try checkNewPassword(email: "", password: "password1", passwordAgain: "password1")) {
            guard let error = $0 as? HcError, case .WeakPassword(let problem) = error else { return XCTFail("\($0)") }
            XCTAssertEqual(problem, .common)
            XCTAssertEqual(errorMessage(error: error).id, .errorPasswordCommon)
        }

        let client = try Rig.client()
        let email = "new-\(UUID().uuidString.lowercased())@example.test"
        do {
            try await client.register(email: email, password: "correct horse", passwordAgain: "correct hrose")
            XCTFail("registered with a mistyped confirmation")
        } catch HcError.PasswordsDiffer {}
        try await client.register(email: email, password: "correct horse battery staple", passwordAgain: "correct horse battery staple")
        XCTAssertTrue(client.isLoggedIn())
        XCTAssertEqual(client.sessionState(), .loggedIn)
    }

    func testPointedAtTheNvrsAddressTheAppKeepsItsSessionToItselfAndSaysItIsNotAnHcCloud() async throws {
        let store = MemoryStore()
        _ = try await Rig.newAccount(store: store)
        let atNvr = try Rig.client(store: store, config: Rig.config(cloudUrl: Rig.deviceA.nvrUrl))
        XCTAssertFalse(atNvr.isLoggedIn())
        var cloud = Rig.cloudUrl
        while cloud.hasSuffix("/") { cloud.removeLast() }
        XCTAssertEqual(atNvr.sessionState(), .otherCloud(sessionCloud: cloud))
        do {
            _ = try await atNvr.devices(forceRefresh: true)
            XCTFail("used another cloud's session")
        } catch let error as HcError {
            // Asked without the session, the address answers as no hc cloud does: that is what it says.
            guard case .NotAnHcCloud = error else { return XCTFail("\(error)") }
            XCTAssertEqual(errorAction(error: error), .correctInput)
        }
        do {
            try await atNvr.login(email: "someone@example.test", password: "correct horse")
            XCTFail("logged in to an NVR")
        } catch let error as HcError {
            guard case .NotAnHcCloud = error else { return XCTFail("\(error)") }
            XCTAssertEqual(errorMessage(error: error).id, .errorNotAnHcCloud)
        }
        XCTAssertTrue(try Rig.client(store: store).isLoggedIn())
    }

    func testALabelCodeOfTheWrongShapeIsRefusedBeforeTheCloudIsAsked() async throws {
        let me = try await Rig.newAccount()
        do {
            _ = try await me.client.addDevice(serial: Rig.deviceF.serial, labelCode: "ABC12", name: nil)
            XCTFail("sent a label code of the wrong shape")
        } catch HcError.InvalidLabelCode {}
        do {
            _ = try await me.client.addDevice(serial: "J1234", labelCode: Rig.deviceF.labelCode, name: nil)
            XCTFail("sent a serial of the wrong shape")
        } catch HcError.InvalidSerial {}
    }

    func testTwoScansOfOneQrShowOneDeadline() async throws {
        let device = Rig.deviceG
        let me = try await Rig.newAccount()
        _ = try await me.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: nil)
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        let qr = try await device.startHikConnect()
        let first = try await me.client.requestResetCode(qrText: qr)
        try await Task.sleep(nanoseconds: 1_100_000_000)
        let again = try await me.client.requestResetCode(qrText: qr)
        XCTAssertEqual(first.expiresAtUnix, again.expiresAtUnix)
    }
}

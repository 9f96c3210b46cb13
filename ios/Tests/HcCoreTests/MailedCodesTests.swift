import Foundation
import XCTest
@testable import HcCore

/// The codes the cloud mails (#21), through the bindings against the real cloud and its mail folder.
final class MailedCodesTests: XCTestCase {
    private func newEmail(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.lowercased())@example.test" }
    private func wrong(_ code: String) -> String { String(format: "%06d", (Int(code)! + 1) % 1_000_000) }

    /// The error `body` throws, or a test failure.
    private func failure(_ body: () async throws -> Void) async -> HcError? {
        do { try await body(); XCTFail("no error"); return nil } catch { return error as? HcError }
    }

    func testANewAccountCannotAddDevicesUntilItEntersTheCodeFromTheMail() async throws {
        let client = try Rig.client()
        let email = newEmail("new"), password = "correct horse battery staple"
        try await client.register(email: email, password: password, passwordAgain: password)
        let status = try await client.accountStatus()
        XCTAssertEqual(status, AccountStatus(email: email, emailVerified: false))

        let device = Rig.deviceH
        let refused = await failure { _ = try await client.addDevice(serial: device.serial, labelCode: device.labelCode, name: nil) }
        XCTAssertEqual(refused, .EmailNotVerified)
        XCTAssertEqual(refused.map { errorAction(error: $0) }, .verifyEmail)
        XCTAssertEqual(refused.map { errorMessage(error: $0).id }, .errorEmailNotVerified)

        let notSix = await failure { _ = try await client.verifyEmail(code: "12345") }
        XCTAssertEqual(notSix, .InvalidMailedCode)
        let code = try await Mail.code(to: email)
        let wrongCode = await failure { _ = try await client.verifyEmail(code: self.wrong(code)) }
        XCTAssertEqual(wrongCode, .MailedCodeRefused(attemptsLeft: 4))
        XCTAssertEqual(wrongCode.map { errorMessage(error: $0) }, UiMessage(id: .errorMailedCodeWrong, args: ["4"]))
        XCTAssertEqual(wrongCode.map { errorAction(error: $0) }, .correctInput)

        let verified = try await client.verifyEmail(code: code)
        XCTAssertEqual(verified, AccountStatus(email: email, emailVerified: true))
        let now = try await client.accountStatus()
        XCTAssertTrue(now.emailVerified)
        let again = await failure { _ = try await client.resendVerification() }
        XCTAssertEqual(again.map { errorMessage(error: $0).id }, .errorEmailAlreadyVerified)

        _ = try await client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Shop NVR")
        let bound = try await device.sync()
        XCTAssertTrue(bound)
    }

    func testAResentCodeReplacesTheFirstAndASpentOneAsksForANewCode() async throws {
        let client = try Rig.client()
        let email = newEmail("resend")
        try await client.register(email: email, password: "correct horse battery staple", passwordAgain: "correct horse battery staple")
        let first = try await Mail.code(to: email)
        let before = Mail.nowMs()
        let validFor = try await client.resendVerification()
        XCTAssertEqual(validFor, 900)
        let second = try await Mail.code(to: email, sinceMs: before)
        XCTAssertEqual(codeSentMessage(email: " \(email) ", forForgottenPassword: false, validForSecs: 900),
                       UiMessage(id: .verifyEmailSent, args: [email, "15"]))
        if first != second {
            let old = await failure { _ = try await client.verifyEmail(code: first) }
            guard case .MailedCodeRefused = old else { return XCTFail("\(String(describing: old))") }
        }
        var last: HcError?
        for _ in 0..<6 {
            last = await failure { _ = try await client.verifyEmail(code: self.wrong(second)) }
            if last == .MailedCodeRefused(attemptsLeft: 0) { break }
        }
        XCTAssertEqual(last, .MailedCodeRefused(attemptsLeft: 0))
        XCTAssertEqual(last.map { errorAction(error: $0) }, .requestNewCode)
        XCTAssertEqual(last.map { errorMessage(error: $0).id }, .errorMailedCodeSpent)
        let status = try await client.accountStatus()
        XCTAssertFalse(status.emailVerified)
    }

    func testAForgottenPasswordIsSetAnewWithTheMailedCodeAndThisPhoneLogsInWithIt() async throws {
        let me = try await Rig.newAccount()
        let phone = try Rig.client()
        let before = Mail.nowMs()
        let validFor = try await phone.forgotPassword(email: " \(me.email) ")
        // The same answer for an address no account has.
        let nobody = try await phone.forgotPassword(email: newEmail("nobody"))
        XCTAssertEqual(nobody, validFor)
        XCTAssertEqual(codeSentMessage(email: me.email, forForgottenPassword: true, validForSecs: validFor),
                       UiMessage(id: .forgotPasswordSent, args: [me.email, "15"]))

        let code = try await Mail.code(to: me.email, sinceMs: before)
        let password = "a brand new staple 42"
        let differ = await failure {
            try await phone.resetPassword(email: me.email, code: code, newPassword: password, newPasswordAgain: "a brand new stapel 42")
        }
        XCTAssertEqual(differ, .PasswordsDiffer)
        let refused = await failure {
            try await phone.resetPassword(email: me.email, code: self.wrong(code), newPassword: password, newPasswordAgain: password)
        }
        XCTAssertEqual(refused, .MailedCodeRefused(attemptsLeft: nil))
        XCTAssertEqual(refused.map { errorMessage(error: $0).id }, .errorMailedCodeRefused)
        XCTAssertFalse(phone.isLoggedIn())

        try await phone.resetPassword(email: me.email, code: code, newPassword: password, newPasswordAgain: password)
        XCTAssertTrue(phone.isLoggedIn())
        _ = try await phone.devices(forceRefresh: true)
        // Every other session ended; the old password no longer logs in.
        _ = await failure { _ = try await me.client.devices(forceRefresh: true) }
        let oldPassword = await failure { try await Rig.client().login(email: me.email, password: me.password) }
        guard case .Server = oldPassword else { return XCTFail("\(String(describing: oldPassword))") }
        let events = try await phone.feedPage(after: nil, waitSecs: 0).events
        let resets = events.filter { $0.kind == .passwordReset }
        XCTAssertEqual(resets.count, 1)
        XCTAssertEqual(resets.first?.message.id, .feedPasswordReset)
    }
}

import Foundation
import XCTest
import HcCore
import HcTestKit
@testable import HcPresentation

/// The codes the cloud mails (#21): verifying a new account's address, and a forgotten password.
final class MailedCodesTests: XCTestCase {
    private func newEmail(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.lowercased())@example.test" }
    private func newPassword() -> String { "Correct-Horse-\(UUID().uuidString.prefix(8))" }

    /// Six digits that are not `code`.
    private func wrong(_ code: String) -> String { String(format: "%06d", (Int(code)! + 1) % 1_000_000) }

    func testANewAccountEntersTheMailedCodeAndCanAddItsNvr() async throws {
        let device = TestDevice("J")
        let client = try Rig.client()
        let login = LoginModel(client: client)
        let email = newEmail("ui-new"), password = newPassword()
        await login.register(email: email, password: password, passwordAgain: password)
        XCTAssertTrue(login.screen.value.loggedIn, "\(login.screen.value)")
        XCTAssertTrue(login.registered.value, "after registration the app goes to the verify step")

        // Not verified yet: adding the NVR says so and offers the verify step.
        let add = AddDeviceModel(client: client)
        await add.add(serial: device.serial, labelCode: device.labelCode, name: "Shop NVR")
        XCTAssertEqual(add.screen.value.error, msg(.errorEmailNotVerified))
        XCTAssertEqual(add.screen.value.errorAction, .verifyEmail)

        let verify = VerifyEmailModel(client: client)
        await verify.open()
        XCTAssertEqual(verify.screen.value.email, email)
        XCTAssertFalse(verify.screen.value.verified)
        // Typed as the mail shows it, with a space in the middle.
        let code = try await Mail.code(to: email)
        await verify.verify(code: "\(code.prefix(3)) \(code.suffix(3))")
        let verified = verify.screen.value
        XCTAssertTrue(verified.verified, "\(verified.form)")
        XCTAssertEqual(verified.form.done, msg(.emailVerified, email))
        XCTAssertFalse(verified.canResend)

        await add.add(serial: device.serial, labelCode: device.labelCode, name: "Shop NVR")
        XCTAssertNil(add.screen.value.error, "\(add.screen.value)")
        XCTAssertEqual(add.screen.value.done?.id, .deviceAdded)
    }

    func testAnUnverifiedAccountScanningAnNvrForAResetCodeIsSentToTheVerifyStep() async throws {
        let device = TestDevice("K")
        let owner = try await Rig.newAccount()
        _ = try await owner.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: nil)
        let bound = try await device.sync()
        XCTAssertTrue(bound)
        let client = try Rig.client()
        let password = newPassword()
        try await client.register(email: newEmail("ui-unverified"), password: password, passwordAgain: password)
        let reset = ResetPasswordModel(client: client)
        defer { reset.close() }
        reset.submitText(try await device.startHikConnect())
        let screen = try await reset.screen.waitFor {
            if case .failed = $0 { return true }
            if case .code = $0 { return true }
            return false
        }
        guard case let .failed(_, message, action) = screen else { return XCTFail("\(screen)") }
        XCTAssertEqual(message, msg(.errorEmailNotVerified))
        XCTAssertEqual(action, .verifyEmail)
    }

    func testAWrongCodeSaysHowManyTriesAreLeftAndASpentCodeOffersANewOne() async throws {
        let client = try Rig.client()
        let email = newEmail("ui-wrong"), password = newPassword()
        try await client.register(email: email, password: password, passwordAgain: password)
        let code = try await Mail.code(to: email)
        let verify = VerifyEmailModel(client: client)
        await verify.open()

        // Not six digits: said at once, and no try is spent.
        await verify.verify(code: "12345")
        XCTAssertEqual(verify.screen.value.form.error, msg(.errorInvalidMailedCode))
        XCTAssertEqual(verify.screen.value.form.errorAction, .correctInput)

        await verify.verify(code: wrong(code))
        XCTAssertEqual(verify.screen.value.form.error, msg(.errorMailedCodeWrong, 4))
        XCTAssertFalse(verify.screen.value.offerNewCode)
        for _ in 0..<3 { await verify.verify(code: wrong(code)) }
        XCTAssertEqual(verify.screen.value.form.error, msg(.errorMailedCodeWrong, 1))
        await verify.verify(code: wrong(code))
        XCTAssertEqual(verify.screen.value.form.error, msg(.errorMailedCodeSpent))
        XCTAssertTrue(verify.screen.value.offerNewCode, "a spent code offers \"Send a new code\"")
        // Out of tries, even the right code no longer works.
        await verify.verify(code: code)
        XCTAssertFalse(verify.screen.value.verified)

        let before = Mail.nowMs()
        await verify.resend()
        XCTAssertEqual(verify.screen.value.codeSent, msg(.verifyEmailSent, email, 15))
        XCTAssertNil(verify.screen.value.form.error)
        await verify.verify(code: try await Mail.code(to: email, sinceMs: before))
        XCTAssertTrue(verify.screen.value.verified, "\(verify.screen.value.form)")
    }

    func testNewCodesAreRateLimitedAndTheWaitCountsDownBeforeTheNext() async throws {
        let client = try Rig.client()
        let email = newEmail("ui-resend"), password = newPassword()
        try await client.register(email: email, password: password, passwordAgain: password)
        let clock = FakeClock()
        let verify = VerifyEmailModel(client: client, clock: clock)
        var sent = 0
        var wait: UInt64?
        while wait == nil {
            XCTAssertTrue(verify.screen.value.canResend)
            await verify.resend()
            if case let .waitThenRetry(seconds) = verify.screen.value.form.errorAction { wait = seconds }
            sent += 1
            guard sent <= 10 else { return XCTFail("the cloud never limited new codes") }
        }
        let seconds = Int64(wait!)
        XCTAssertEqual(verify.screen.value.form.error, msg(.errorRateLimited, seconds))
        XCTAssertEqual(verify.screen.value.resendWaitSecs, seconds)
        XCTAssertFalse(verify.screen.value.canResend)

        clock.set(clock.nowUnix() + seconds - 10); verify.tick()
        XCTAssertEqual(verify.screen.value.resendWaitSecs, 10)
        clock.set(clock.nowUnix() + 10); verify.tick()
        XCTAssertNil(verify.screen.value.resendWaitSecs)
        XCTAssertTrue(verify.screen.value.canResend)
    }

    func testForgotPasswordSaysTheSameWordsForAnAddressWithoutAnAccount() async throws {
        let me = try await Rig.newAccount()
        let nobody = newEmail("ui-nobody")
        let mine = ForgotPasswordModel(client: try Rig.client())
        let theirs = ForgotPasswordModel(client: try Rig.client())
        XCTAssertEqual(mine.screen.value.step, .address)
        await mine.send(email: " \(me.email) ")
        await theirs.send(email: nobody)
        for (model, email) in [(mine, me.email), (theirs, nobody)] {
            let screen = model.screen.value
            XCTAssertEqual(screen.step, .code, "\(screen.form)")
            XCTAssertEqual(screen.codeSent, msg(.forgotPasswordSent, email, 15))
        }
        // A wrong code is refused alike: the cloud says nothing of the account.
        let password = newPassword()
        await mine.reset(code: "000000", password: password, passwordAgain: password)
        await theirs.reset(code: "000000", password: password, passwordAgain: password)
        XCTAssertEqual(mine.screen.value.form.error, msg(.errorMailedCodeRefused))
        XCTAssertEqual(mine.screen.value.form, theirs.screen.value.form)
        XCTAssertEqual(theirs.screen.value.step, .code)

        theirs.otherAddress()
        XCTAssertEqual(theirs.screen.value.step, .address)
    }

    func testTheNewPasswordSignsInAndEveryOtherPhoneIsLoggedOut() async throws {
        let me = try await Rig.newAccount()
        let otherPhone = try Rig.client()
        try await otherPhone.login(email: me.email, password: me.password)

        let phone = try Rig.client()
        let login = LoginModel(client: phone)
        let forgot = ForgotPasswordModel(client: phone)
        let before = Mail.nowMs()
        await forgot.send(email: me.email)
        let code = try await Mail.code(to: me.email, sinceMs: before)
        let password = newPassword()
        XCTAssertNil(forgot.passwordProblem(password: password, passwordAgain: password))
        XCTAssertEqual(forgot.passwordProblem(password: password, passwordAgain: password + "x"), msg(.errorPasswordsDiffer))
        await forgot.reset(code: code, password: password, passwordAgain: password + "x")
        XCTAssertEqual(forgot.screen.value.form.error, msg(.errorPasswordsDiffer))
        XCTAssertEqual(forgot.screen.value.step, .code)

        await forgot.reset(code: code, password: password, passwordAgain: password)
        let done = forgot.screen.value
        XCTAssertEqual(done.step, .signedIn, "\(done.form)")
        XCTAssertEqual(done.form.done, msg(.passwordResetDone))
        XCTAssertTrue(done.form.loggedIn)
        login.sessionChanged()
        XCTAssertTrue(login.screen.value.loggedIn, "the login screen follows to the devices")
        _ = try await phone.devices(forceRefresh: true)
        // The owner's security feed tells of it, in the core's words.
        let feed = SecurityFeedModel(client: phone)
        feed.open()
        defer { feed.close() }
        _ = try await feed.screen.waitFor { $0.events.contains { $0.message == msg(.feedPasswordReset) } }

        do {
            _ = try await otherPhone.devices(forceRefresh: true)
            XCTFail("the other phone's session should have ended")
        } catch {}
        let old = LoginModel(client: try Rig.client())
        await old.login(email: me.email, password: me.password)
        XCTAssertEqual(old.screen.value.error, msg(.errorInvalidCredentials))
        await old.login(email: me.email, password: password)
        XCTAssertTrue(old.screen.value.loggedIn)
    }
}

import Foundation
import HcCore

// The codes the cloud mails to the account's address (#21): verifying it after sign-up, and setting
// a forgotten password. What is said and offered is the core's (errorMessage, errorAction,
// codeSentMessage); these models keep which step the screen is at and run the calls.

/// The verify-email step: after registration, and wherever the core offers `.verifyEmail` (adding a
/// device, a reset code) because the address is not verified yet.
public struct VerifyEmailScreen: Equatable {
    /// Busy while a code or a resend is on its way; done says the address is verified; else the
    /// core's error and action.
    public var form: AccountScreen
    /// The account's address, once read: the screen says where the code went.
    public var email: String?
    public var verified = false
    /// After "Send a new code": where it went and for how long, in the core's words.
    public var codeSent: UiMessage?
    /// The cloud limits new codes: seconds until "Send a new code" works again; nil: it works now.
    public var resendWaitSecs: Int64?

    public init(form: AccountScreen, email: String? = nil, verified: Bool = false, codeSent: UiMessage? = nil,
                resendWaitSecs: Int64? = nil) {
        self.form = form
        self.email = email
        self.verified = verified
        self.codeSent = codeSent
        self.resendWaitSecs = resendWaitSecs
    }

    /// The code can no longer be used (expired, used, out of tries): the screen offers a new one first.
    public var offerNewCode: Bool { form.errorAction == .requestNewCode }

    /// Whether "Send a new code" is enabled.
    public var canResend: Bool { !verified && !form.busy && resendWaitSecs == nil }
}

public final class VerifyEmailModel: @unchecked Sendable {
    public typealias Screen = VerifyEmailScreen

    public let screen: ScreenState<Screen>
    private let client: HcClient
    private let clock: Clock
    private let lock = NSRecursiveLock()
    private var resendAtMillis: Int64?
    private var ticker: Task<Void, Never>?

    public init(client: HcClient, clock: Clock = SystemClock()) {
        self.client = client
        self.clock = clock
        screen = ScreenState(VerifyEmailScreen(form: accountIdle(loggedIn: client.isLoggedIn())))
    }

    deinit { ticker?.cancel() }

    /// Opening the screen: the account's address and whether it is verified already.
    public func open() async {
        do {
            let status = try await client.accountStatus()
            screen.update { $0.email = status.email; $0.verified = status.emailVerified }
        } catch {
            let failed = accountFailed(loggedIn: client.isLoggedIn(), error: hcError(error))
            screen.update { $0.form = failed }
        }
    }

    /// The code as typed (spaces, dashes and full-width digits are fine: the core reads it).
    public func verify(code: String) async {
        screen.update { $0.form = accountWorking(screen: $0.form) }
        do {
            let status = try await client.verifyEmail(code: code)
            let done = accountDone(loggedIn: client.isLoggedIn(), done: emailVerifiedMessage(status: status))
            screen.update {
                $0.form = done
                $0.email = status.email
                $0.verified = status.emailVerified
                $0.codeSent = nil
            }
        } catch {
            let failed = accountFailed(loggedIn: client.isLoggedIn(), error: hcError(error))
            screen.update { $0.form = failed }
        }
    }

    /// "Send a new code": the previous one stops working. Too many: the wait counts down to the next.
    public func resend() async {
        screen.update { $0.form = accountWorking(screen: $0.form); $0.codeSent = nil }
        do {
            let validForSecs = try await client.resendVerification()
            let email: String
            if let known = screen.value.email { email = known } else { email = try await client.accountStatus().email }
            let done = accountDone(loggedIn: client.isLoggedIn(), done: nil)
            screen.update {
                $0.form = done
                $0.email = email
                $0.codeSent = codeSentMessage(email: email, forForgottenPassword: false, validForSecs: validForSecs)
            }
        } catch {
            let failed = hcError(error)
            let form = accountFailed(loggedIn: client.isLoggedIn(), error: failed)
            screen.update { $0.form = form }
            if case let .waitThenRetry(seconds) = errorAction(error: failed) {
                lock.withLock { resendAtMillis = clock.nowMillis() + Int64(seconds) * 1000 }
                tick()
            }
        }
    }

    /// Counts the wait for a new code down at the clock's time, once a second until it is over.
    public func tick() {
        lock.withLock {
            ticker?.cancel()
            ticker = nil
            guard let at = resendAtMillis, case let left = (at - clock.nowMillis() + 999) / 1000, left > 0 else {
                resendAtMillis = nil
                screen.update { $0.resendWaitSecs = nil }
                return
            }
            screen.update { $0.resendWaitSecs = left }
            ticker = Task { [weak self] in
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                guard let self, !Task.isCancelled else { return }
                self.tick()
            }
        }
    }
}

/// Where "Forgot password" is: the address, then the mailed code and the new password twice, then
/// signed in.
public enum ForgotPasswordStep: Equatable {
    case address, code, signedIn
}

public struct ForgotPasswordScreen: Equatable {
    public var form: AccountScreen
    public var step: ForgotPasswordStep = .address
    /// The address the code was asked for.
    public var email = ""
    /// "If an account uses X, a code is on its way": the same words whether or not one does.
    public var codeSent: UiMessage?

    public init(form: AccountScreen, step: ForgotPasswordStep = .address, email: String = "", codeSent: UiMessage? = nil) {
        self.form = form
        self.step = step
        self.email = email
        self.codeSent = codeSent
    }
}

public final class ForgotPasswordModel: @unchecked Sendable {
    public typealias Screen = ForgotPasswordScreen

    public let screen: ScreenState<Screen>
    private let client: HcClient

    public init(client: HcClient) {
        self.client = client
        screen = ScreenState(ForgotPasswordScreen(form: accountIdle(loggedIn: client.isLoggedIn())))
    }

    /// The address as typed (the core trims it); also "Send a new code" on the code step.
    public func send(email: String) async {
        screen.update { $0.form = accountWorking(screen: $0.form) }
        do {
            let validForSecs = try await client.forgotPassword(email: email)
            let done = accountDone(loggedIn: client.isLoggedIn(), done: nil)
            screen.update {
                $0.form = done
                $0.step = .code
                $0.email = email
                $0.codeSent = codeSentMessage(email: email, forForgottenPassword: true, validForSecs: validForSecs)
            }
        } catch {
            let failed = accountFailed(loggedIn: client.isLoggedIn(), error: hcError(error))
            screen.update { $0.form = failed }
        }
    }

    /// A new code to the same address (the last one is spent or lost).
    public func sendAgain() async { await send(email: screen.value.email) }

    /// "Use another address": back to the first step.
    public func otherAddress() {
        let idle = accountIdle(loggedIn: client.isLoggedIn())
        screen.update { $0 = ForgotPasswordScreen(form: idle, email: $0.email) }
    }

    /// The new password as typed, checked by the core before anything is sent; nil: nothing wrong
    /// (or nothing typed).
    public func passwordProblem(password: String, passwordAgain: String) -> UiMessage? {
        if password.isEmpty { return nil }
        do {
            try checkNewPassword(email: screen.value.email, password: password,
                                 passwordAgain: passwordAgain.isEmpty ? password : passwordAgain)
            return nil
        } catch {
            return errorMessage(error: hcError(error))
        }
    }

    /// Sets the new password with the mailed code; every session ends and this phone signs in with it.
    public func reset(code: String, password: String, passwordAgain: String) async {
        let email = screen.value.email
        screen.update { $0.form = accountWorking(screen: $0.form) }
        do {
            try await client.resetPassword(email: email, code: code, newPassword: password, newPasswordAgain: passwordAgain)
            let done = accountDone(loggedIn: client.isLoggedIn(), done: plainMessage(id: .passwordResetDone))
            screen.update { $0.form = done; $0.step = .signedIn }
        } catch {
            let failed = accountFailed(loggedIn: client.isLoggedIn(), error: hcError(error))
            screen.update { $0.form = failed }
        }
    }
}

import HcCore
import HcPresentation
import SwiftUI

/// After registration, or when adding a device or a reset code said the address is not verified:
/// the 6-digit code from the mail; "Send a new code", disabled while the cloud's wait runs.
struct VerifyEmailView: View {
    @Environment(\.dismiss) private var dismiss
    @StateObject private var holder: Holder
    @State private var code = ""
    /// After registration: on to the devices; nil (pushed from an error): back to it.
    let done: (() -> Void)?

    @MainActor final class Holder: ObservableObject {
        let model: VerifyEmailModel
        let screen: Observed<VerifyEmailModel.Screen>
        init(client: HcClient) {
            model = VerifyEmailModel(client: client)
            screen = Observed(model.screen)
        }
    }

    init(client: HcClient, done: (() -> Void)? = nil) {
        _holder = StateObject(wrappedValue: Holder(client: client))
        self.done = done
    }

    var body: some View {
        VerifyEmailForm(model: holder.model, screen: holder.screen, code: $code) { if let done { done() } else { dismiss() } }
            .navigationTitle("verify_title")
            .task { await holder.model.open() }
    }
}

private struct VerifyEmailForm: View {
    let model: VerifyEmailModel
    @ObservedObject var screen: Observed<VerifyEmailModel.Screen>
    @Binding var code: String
    let done: () -> Void

    var body: some View {
        let s = screen.value
        Form {
            if let email = s.email, !s.verified { Text(localized("verify_intro", [email])) }
            if let sent = s.codeSent { Text(sent.text) }
            if !s.verified {
                TextField("verify_code", text: $code).keyboardType(.numberPad).textContentType(.oneTimeCode)
            }
            if let error = s.form.error { Text(error.text).foregroundStyle(.red) }
            if let wait = s.resendWaitSecs { Text(localized("verify_resend_wait", [String(wait)])) }
            if let verified = s.form.done { Text(verified.text) }
            if s.verified {
                Button("action_done", action: done)
            } else {
                // A spent code: the new one comes first.
                if !s.offerNewCode {
                    Button("verify_button") { Task { await model.verify(code: code) } }.disabled(s.form.busy)
                }
                Button("verify_resend") { Task { await model.resend() } }.disabled(!s.canResend)
                Button("verify_later", action: done)
            }
        }
    }
}

/// Login > "Forgot your password?": the address; then "if an account uses it, a code is on its way",
/// the code and the new password twice; then signed in with it.
struct ForgotPasswordView: View {
    @EnvironmentObject private var app: AppModel
    @StateObject private var holder: Holder

    @MainActor final class Holder: ObservableObject {
        let model: ForgotPasswordModel
        let screen: Observed<ForgotPasswordModel.Screen>
        init(client: HcClient) {
            model = ForgotPasswordModel(client: client)
            screen = Observed(model.screen)
        }
    }

    init(client: HcClient) { _holder = StateObject(wrappedValue: Holder(client: client)) }

    var body: some View {
        // Signed in: the root shows the devices once the login model follows.
        ForgotPasswordForm(model: holder.model, screen: holder.screen) { app.loginModel.sessionChanged() }
            .navigationTitle("forgot_title")
    }
}

private struct ForgotPasswordForm: View {
    let model: ForgotPasswordModel
    @ObservedObject var screen: Observed<ForgotPasswordModel.Screen>
    let signedIn: () -> Void
    @State private var email = ""
    @State private var code = ""
    @State private var password = ""
    @State private var passwordAgain = ""

    var body: some View {
        let s = screen.value
        Form {
            switch s.step {
            case .address:
                TextField("login_email", text: $email)
                    .textContentType(.username).keyboardType(.emailAddress).textInputAutocapitalization(.never)
                if let error = s.form.error { Text(error.text).foregroundStyle(.red) }
                Button("forgot_send") { Task { await model.send(email: email) } }.disabled(s.form.busy)
            case .code:
                if let sent = s.codeSent { Text(sent.text) }
                TextField("verify_code", text: $code).keyboardType(.numberPad).textContentType(.oneTimeCode)
                SecureField("forgot_new_password", text: $password).textContentType(.newPassword)
                SecureField("forgot_new_password_again", text: $passwordAgain).textContentType(.newPassword)
                if let problem = model.passwordProblem(password: password, passwordAgain: passwordAgain) {
                    Text(problem.text).foregroundStyle(.red)
                }
                if let error = s.form.error { Text(error.text).foregroundStyle(.red) }
                Button("forgot_reset_button") {
                    Task { await model.reset(code: code, password: password, passwordAgain: passwordAgain) }
                }
                .disabled(s.form.busy)
                Button("verify_resend") { Task { await model.sendAgain() } }.disabled(s.form.busy)
                Button("forgot_other_address") { model.otherAddress() }
            case .signedIn:
                // Every session ended; this phone is signed in with the new password.
                if let done = s.form.done { Text(done.text) }
                Button("action_done", action: signedIn)
            }
        }
    }
}

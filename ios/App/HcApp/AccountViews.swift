import HcCore
import HcPresentation
import SwiftUI

/// Log in, or (after "No account yet?") create an account: the password twice, the core's rule under
/// the field, and what is wrong with it said while typing. An opening error says when the saved
/// session is another cloud's.
struct LoginView: View {
    @EnvironmentObject private var app: AppModel
    let model: LoginModel
    @ObservedObject var screen: Observed<LoginModel.Screen>
    @State private var registering = false
    @State private var email = ""
    @State private var password = ""
    @State private var passwordAgain = ""

    var body: some View {
        NavigationStack {
            Form {
                TextField("login_email", text: $email)
                    .textContentType(.username).keyboardType(.emailAddress).textInputAutocapitalization(.never)
                if registering {
                    Section {
                        SecureField("login_password", text: $password).textContentType(.newPassword)
                        SecureField("register_password_again", text: $passwordAgain).textContentType(.newPassword)
                    } footer: {
                        Text(model.passwordRule.text)
                    }
                    if let problem = model.passwordProblem(email: email, password: password, passwordAgain: passwordAgain) {
                        Text(problem.text).foregroundStyle(.red)
                    }
                } else {
                    SecureField("login_password", text: $password).textContentType(.password)
                }
                if let error = screen.value.error { Text(error.text).foregroundStyle(.red) }
                if registering {
                    Button("register_button") {
                        Task { await model.register(email: email, password: password, passwordAgain: passwordAgain) }
                    }
                    .disabled(screen.value.busy)
                    Button("login_button") { registering = false }
                } else {
                    Button("login_button") { Task { await model.login(email: email, password: password) } }
                        .disabled(screen.value.busy)
                    Button("login_no_account") { registering = true }
                        .disabled(screen.value.busy)
                    NavigationLink("forgot_link") { ForgotPasswordView(client: app.client) }
                }
            }
            .navigationTitle(registering ? "register_title" : "login_title")
        }
    }
}

struct DevicesView: View {
    @EnvironmentObject private var app: AppModel
    @StateObject private var holder: Holder
    @Environment(\.scenePhase) private var scenePhase

    /// Keeps the model (and its observed state) for the life of the view.
    @MainActor final class Holder: ObservableObject {
        let model: DeviceListModel
        let screen: Observed<DeviceListModel.Screen>
        init(client: HcClient) {
            model = DeviceListModel(client: client)
            screen = Observed(model.screen)
        }
    }

    init(client: HcClient) { _holder = StateObject(wrappedValue: Holder(client: client)) }

    var body: some View {
        DeviceList(model: holder.model, screen: holder.screen)
            .navigationTitle("devices_title")
            .toolbar {
                ToolbarItem(placement: .primaryAction) {
                    NavigationLink { AddDeviceView(client: app.client) } label: { Image(systemName: "plus") }
                        .accessibilityLabel(Text("add_device_title"))
                }
                ToolbarItem(placement: .secondaryAction) {
                    NavigationLink("more_title") { MoreView() }
                }
            }
            .task { await holder.model.refresh() }
            .refreshable { await holder.model.refresh(force: true) }
            .onChange(of: scenePhase) { phase in if phase == .active { holder.model.tick() } }
    }
}

private struct DeviceList: View {
    @EnvironmentObject private var app: AppModel
    let model: DeviceListModel
    @ObservedObject var screen: Observed<DeviceListModel.Screen>
    /// Mirrors the core's question: dismissing the dialog never races the answer it gave.
    @State private var askingShown = false

    var body: some View {
        List {
            // The cloud could not be reached: the list is the one saved on this phone.
            if let saved = screen.value.savedList { Text(saved.text).foregroundStyle(.red) }
            if let age = screen.value.cacheAge {
                Text(age.text).font(.footnote).foregroundStyle(.secondary)
            }
            if let error = screen.value.error {
                Text(error.text).foregroundStyle(.red)
                // Session expired or not logged in: back to the login screen.
                if screen.value.errorAction == .logIn {
                    Button("action_log_in") { Task { await app.loginModel.logout() } }
                }
            }
            if let empty = screen.value.empty { Text(empty.text).foregroundStyle(.secondary) }
            ForEach(screen.value.devices) { device in
                VStack(alignment: .leading) {
                    Text(device.name)
                    Text("\(device.model) · \(device.serial)").font(.caption).foregroundStyle(.secondary)
                }
                .swipeActions {
                    // Asks first: the core keeps the question in the screen until it is answered.
                    Button("devices_remove", role: .destructive) { model.askToRemove(serial: device.serial) }
                }
            }
        }
        .confirmationDialog(asking.map { localized("devices_remove_confirm_title", [$0.name]) } ?? "",
                            isPresented: $askingShown, titleVisibility: .visible, presenting: asking) { device in
            Button("devices_remove", role: .destructive) { Task { await model.confirmRemoval() } }
            Button("action_cancel", role: .cancel) { model.cancelRemoval() }
        } message: { device in
            Text(localized("devices_remove_confirm_text", [device.name]))
        }
        .onChange(of: asking) { askingShown = $0 != nil }
    }

    private var asking: DeviceRow? { screen.value.confirmRemoval }
}

struct AddDeviceView: View {
    @Environment(\.dismiss) private var dismiss
    @StateObject private var holder: Holder
    @State private var serial = ""
    @State private var labelCode = ""
    @State private var name = ""

    @MainActor final class Holder: ObservableObject {
        let client: HcClient
        let model: AddDeviceModel
        let screen: Observed<AddDeviceModel.Screen>
        init(client: HcClient) {
            self.client = client
            model = AddDeviceModel(client: client)
            screen = Observed(model.screen)
        }
    }

    init(client: HcClient) { _holder = StateObject(wrappedValue: Holder(client: client)) }

    var body: some View {
        AddDeviceForm(holder: holder, screen: holder.screen, serial: $serial, labelCode: $labelCode, name: $name) { dismiss() }
            .navigationTitle("add_device_title")
    }
}

private struct AddDeviceForm: View {
    let holder: AddDeviceView.Holder
    @ObservedObject var screen: Observed<AddDeviceModel.Screen>
    @Binding var serial: String
    @Binding var labelCode: String
    @Binding var name: String
    let done: () -> Void

    var body: some View {
        Form {
            TextField("add_device_serial", text: $serial).textInputAutocapitalization(.characters)
            TextField("add_device_label_code", text: $labelCode).textInputAutocapitalization(.characters)
            TextField("add_device_name", text: $name)
            // The vendor's "added by another account" note shows here too.
            if let error = screen.value.error { Text(error.text).foregroundStyle(.red) }
            // Under it, the core's way out: ask for the device to be moved to this account.
            if let hint = screen.value.errorHint { Text(hint.text) }
            if let serial = screen.value.transferSerial {
                NavigationLink("transfer_ask") { RequestTransferView(client: holder.client, serial: serial) }
            }
            // Not verified yet: the mailed code first, then add the device.
            if screen.value.errorAction == .verifyEmail {
                NavigationLink("action_verify_email") { VerifyEmailView(client: holder.client) }
            }
            if let added = screen.value.done {
                Text(added.text)
                Button("action_done", action: done)
            } else {
                Button("add_device_button") {
                    Task { await holder.model.add(serial: serial, labelCode: labelCode, name: name) }
                }
                .disabled(screen.value.busy)
            }
        }
    }
}

struct MoreView: View {
    @EnvironmentObject private var app: AppModel

    var body: some View {
        List {
            NavigationLink("reset_password_title") { ResetPasswordView(client: app.client) }
            NavigationLink("security_title") { AccountSecurityView(client: app.client) }
            NavigationLink("audit_title") { AccountActivityView(client: app.client) }
            NavigationLink("feed_title") { SecurityFeedView(client: app.client) }
            NavigationLink("transfers_title") { TransfersView(client: app.client) }
            Button("logout", role: .destructive) { Task { await app.loginModel.logout() } }
        }
        .navigationTitle("more_title")
    }
}

/// More > Account security: change the password (logs every other phone out), log out everywhere.
struct AccountSecurityView: View {
    @EnvironmentObject private var app: AppModel
    @StateObject private var holder: Holder
    @State private var current = ""
    @State private var new = ""

    @MainActor final class Holder: ObservableObject {
        let model: AccountSecurityModel
        let screen: Observed<AccountScreen>
        init(client: HcClient) {
            model = AccountSecurityModel(client: client)
            screen = Observed(model.screen)
        }
    }

    init(client: HcClient) { _holder = StateObject(wrappedValue: Holder(client: client)) }

    var body: some View {
        AccountSecurityForm(holder: holder, screen: holder.screen, current: $current, new: $new) {
            // Logged out everywhere: the root view shows the login once the login model knows.
            Task { await app.loginModel.logout() }
        }
        .navigationTitle("security_title")
    }
}

private struct AccountSecurityForm: View {
    let holder: AccountSecurityView.Holder
    @ObservedObject var screen: Observed<AccountScreen>
    @Binding var current: String
    @Binding var new: String
    let loggedOut: () -> Void

    var body: some View {
        Form {
            SecureField("security_current_password", text: $current).textContentType(.password)
            SecureField("security_new_password", text: $new).textContentType(.newPassword)
            if let error = screen.value.error { Text(error.text).foregroundStyle(.red) }
            if let done = screen.value.done { Text(done.text) }
            Button("security_change_password") {
                Task { await holder.model.changePassword(current: current, new: new) }
            }
            .disabled(screen.value.busy)
            Button("security_log_out_everywhere", role: .destructive) {
                Task { await holder.model.logOutEverywhere() }
            }
            .disabled(screen.value.busy)
        }
        .onChange(of: screen.value.loggedIn) { loggedIn in if !loggedIn { loggedOut() } }
    }
}

/// More > Account activity: every reset-code request on this account and on its devices, newest
/// first, each in the core's words; another account's attempt names it masked. "Show older" pages back.
struct AccountActivityView: View {
    @StateObject private var holder: Holder

    @MainActor final class Holder: ObservableObject {
        let model: AuditModel
        let screen: Observed<AuditModel.Screen>
        init(client: HcClient) {
            model = AuditModel(client: client)
            screen = Observed(model.screen)
        }
    }

    init(client: HcClient) { _holder = StateObject(wrappedValue: Holder(client: client)) }

    var body: some View {
        AccountActivityList(model: holder.model, screen: holder.screen)
            .navigationTitle("audit_title")
            .task { await holder.model.refresh() }
            .refreshable { await holder.model.refresh() }
    }
}

private struct AccountActivityList: View {
    let model: AuditModel
    @ObservedObject var screen: Observed<AuditModel.Screen>

    var body: some View {
        List {
            if let error = screen.value.error { Text(error.text).foregroundStyle(.red) }
            if screen.value.empty { Text("audit_empty").foregroundStyle(.secondary) }
            ForEach(screen.value.events, id: \.id) { event in
                VStack(alignment: .leading) {
                    Text(event.message.text)
                    Text("\(Date(timeIntervalSince1970: TimeInterval(event.atUnix)).formatted(date: .abbreviated, time: .shortened)) · \(by(event.actor))")
                        .font(.caption).foregroundStyle(.secondary)
                }
            }
            if screen.value.hasMore {
                Button("audit_more") { Task { await model.more() } }.disabled(screen.value.loading)
            }
        }
    }

    private func by(_ actor: AuditActor) -> String {
        switch actor {
        case .you: return localized("audit_by_you", [])
        case let .otherAccount(maskedEmail): return localized("audit_by_other", [maskedEmail])
        }
    }
}

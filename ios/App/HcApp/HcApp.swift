import HcCore
import HcPresentation
import SwiftUI

/// The app: starts the core once and hands the one `HcClient` to every screen model.
@main
struct HcApp: App {
    @StateObject private var app = AppModel()

    var body: some Scene {
        WindowGroup {
            RootView(session: app.login, registered: app.registered)
                .environmentObject(app)
        }
    }
}

@MainActor
final class AppModel: ObservableObject {
    let client: HcClient
    let login: Observed<LoginModel.Screen>
    /// Whether the account was created just now: the verify step comes before the devices.
    let registered: Observed<Bool>
    let loginModel: LoginModel

    init() {
        HcCore.`init`(logger: OSLogLogger())
        let url = Bundle.main.object(forInfoDictionaryKey: "HCCloudURL") as? String ?? "https://cloud.example.com"
        do {
            client = try HcClient(
                config: ClientConfig(cloudUrl: url),  // the core's default timeouts
                store: KeychainSecureStore())
        } catch {
            // Only a malformed cloud URL in Info.plist gets here: a build configuration error.
            fatalError("HcClient: \(error)")
        }
        loginModel = LoginModel(client: client)
        login = Observed(loginModel.screen)
        registered = Observed(loginModel.registered)
    }
}

struct RootView: View {
    @EnvironmentObject private var app: AppModel
    @ObservedObject var session: Observed<LoginModel.Screen>
    @ObservedObject var registered: Observed<Bool>
    /// The verify step after registration was left ("Done" or "Later").
    @State private var verifyDone = false

    var body: some View {
        Group { content }
            // A new registration (after a logout) shows the verify step again.
            .onChange(of: registered.value) { if $0 { verifyDone = false } }
    }

    @ViewBuilder private var content: some View {
        if session.value.loggedIn && registered.value && !verifyDone {
            NavigationStack { VerifyEmailView(client: app.client) { verifyDone = true } }
        } else if session.value.loggedIn {
            NavigationStack { DevicesView(client: app.client) }
        } else {
            LoginView(model: app.loginModel, screen: app.login)
        }
    }
}

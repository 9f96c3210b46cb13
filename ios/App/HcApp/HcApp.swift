import HcCore
import HcPresentation
import SwiftUI

/// The app: starts the core once and hands the one `HcClient` to every screen model.
@main
struct HcApp: App {
    @StateObject private var app = AppModel()

    var body: some Scene {
        WindowGroup {
            RootView(session: app.login)
                .environmentObject(app)
        }
    }
}

@MainActor
final class AppModel: ObservableObject {
    let client: HcClient
    let login: Observed<LoginModel.Screen>
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
    }
}

struct RootView: View {
    @EnvironmentObject private var app: AppModel
    @ObservedObject var session: Observed<LoginModel.Screen>

    var body: some View {
        if session.value.loggedIn {
            NavigationStack { DevicesView(client: app.client) }
        } else {
            LoginView(model: app.loginModel, screen: app.login)
        }
    }
}

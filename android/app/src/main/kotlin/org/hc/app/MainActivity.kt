package org.hc.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.navigation.NavType
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import androidx.navigation.navArgument
import kotlinx.coroutines.launch
import org.hc.app.ui.AccountActivityScreen
import org.hc.app.ui.AccountSecurityScreen
import org.hc.app.ui.AddDeviceScreen
import org.hc.app.ui.AskForDeviceScreen
import org.hc.app.ui.DevicesScreen
import org.hc.app.ui.ForgotPasswordScreen
import org.hc.app.ui.LoginScreen
import org.hc.app.ui.MoreScreen
import org.hc.app.ui.ResetPasswordScreen
import org.hc.app.ui.SecurityFeedScreen
import org.hc.app.ui.TransfersListScreen
import org.hc.app.ui.VerifyEmailScreen

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        setContent {
            MaterialTheme {
                Surface { HcNavHost() }
            }
        }
    }
}

private object Routes {
    const val LOGIN = "login"
    const val FORGOT_PASSWORD = "login/forgot-password"
    const val VERIFY_EMAIL = "account/verify-email"
    const val DEVICES = "devices"
    const val ADD_DEVICE = "devices/add"
    const val MORE = "more"
    const val RESET_PASSWORD = "more/reset-device-password"
    const val SECURITY = "more/account-security"
    const val AUDIT = "more/account-activity"
    const val FEED = "more/security-feed"
    const val TRANSFERS = "more/transfers"
    const val REQUEST_TRANSFER = "transfers/request?serial={serial}"
    fun requestTransfer(serial: String?) = if (serial == null) "transfers/request" else "transfers/request?serial=$serial"
}

@Composable
private fun HcNavHost() {
    val nav = rememberNavController()
    val login: LoginViewModel = viewModel()
    // A restored session (tokens in the Keystore) opens the device list; decided once per launch.
    val start = remember { if (login.model.screen.value.loggedIn) Routes.DEVICES else Routes.LOGIN }
    val scope = rememberCoroutineScope()
    // Log out, session expired or not logged in: drop the local session, then show the login screen
    // alone. Only once the logout has finished: while the model still says logged in, the login
    // screen would forward straight back to the device list.
    val toLogin: () -> Unit = {
        scope.launch {
            login.model.logout().join()
            nav.navigate(Routes.LOGIN) { popUpTo(nav.graph.id) { inclusive = true } }
        }
    }
    NavHost(nav, startDestination = start) {
        composable(Routes.LOGIN) {
            LoginScreen(
                login.model,
                onLoggedIn = {
                    // A new account: its address waits for the mailed code.
                    val next = if (login.model.registered.value) Routes.VERIFY_EMAIL else Routes.DEVICES
                    nav.navigate(next) { popUpTo(Routes.LOGIN) { inclusive = true } }
                },
                onForgotPassword = { nav.navigate(Routes.FORGOT_PASSWORD) },
            )
        }
        composable(Routes.FORGOT_PASSWORD) {
            ForgotPasswordScreen(viewModel<ForgotPasswordViewModel>().model, onSignedIn = {
                login.model.sessionChanged()
                nav.navigate(Routes.DEVICES) { popUpTo(nav.graph.id) { inclusive = true } }
            })
        }
        composable(Routes.VERIFY_EMAIL) {
            VerifyEmailScreen(viewModel<VerifyEmailViewModel>().model, onDone = {
                // From registration the devices come next; from an "address not verified" error, back to it.
                if (nav.previousBackStackEntry != null) {
                    nav.popBackStack()
                } else {
                    nav.navigate(Routes.DEVICES) { popUpTo(Routes.VERIFY_EMAIL) { inclusive = true } }
                }
            })
        }
        composable(Routes.DEVICES) {
            DevicesScreen(
                viewModel<DevicesViewModel>().model,
                onAddDevice = { nav.navigate(Routes.ADD_DEVICE) },
                onMore = { nav.navigate(Routes.MORE) },
                onLogIn = toLogin,
            )
        }
        composable(Routes.ADD_DEVICE) {
            AddDeviceScreen(
                viewModel<AddDeviceViewModel>().model,
                onDone = { nav.popBackStack() },
                onAskForDevice = { nav.navigate(Routes.requestTransfer(it)) },
                onVerifyEmail = { nav.navigate(Routes.VERIFY_EMAIL) },
            )
        }
        composable(Routes.MORE) {
            MoreScreen(
                onResetDevicePassword = { nav.navigate(Routes.RESET_PASSWORD) },
                onAccountSecurity = { nav.navigate(Routes.SECURITY) },
                onAudit = { nav.navigate(Routes.AUDIT) },
                onFeed = { nav.navigate(Routes.FEED) },
                onTransfers = { nav.navigate(Routes.TRANSFERS) },
                onLogOut = toLogin,
            )
        }
        composable(Routes.SECURITY) {
            AccountSecurityScreen(viewModel<AccountSecurityViewModel>().model, onLoggedOut = toLogin)
        }
        composable(Routes.AUDIT) {
            AccountActivityScreen(viewModel<AuditViewModel>().model)
        }
        composable(Routes.RESET_PASSWORD) {
            ResetPasswordScreen(
                viewModel<ResetPasswordViewModel>().model,
                onAddDevice = { nav.navigate(Routes.ADD_DEVICE) },
                onAskForDevice = { nav.navigate(Routes.requestTransfer(it)) },
                onLogIn = toLogin,
                onVerifyEmail = { nav.navigate(Routes.VERIFY_EMAIL) },
                onDone = { nav.popBackStack() },
            )
        }
        composable(Routes.FEED) {
            SecurityFeedScreen(viewModel<SecurityFeedViewModel>().model, onLogIn = toLogin)
        }
        composable(Routes.TRANSFERS) {
            TransfersListScreen(viewModel<TransfersViewModel>().model)
        }
        composable(
            Routes.REQUEST_TRANSFER,
            arguments = listOf(navArgument("serial") { type = NavType.StringType; nullable = true; defaultValue = null }),
        ) {
            AskForDeviceScreen(
                viewModel<RequestTransferViewModel>().model,
                onTransfers = { nav.navigate(Routes.TRANSFERS) { popUpTo(Routes.MORE) } },
            )
        }
    }
}

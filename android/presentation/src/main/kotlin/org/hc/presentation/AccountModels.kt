package org.hc.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.hc.core.AccountScreen
import org.hc.core.AuditEventInfo
import org.hc.core.ErrorAction
import org.hc.core.DeviceListScreen
import org.hc.core.HcClient
import org.hc.core.HcException
import org.hc.core.MessageId
import org.hc.core.SessionState
import org.hc.core.UiMessage
import org.hc.core.accountDone
import org.hc.core.accountFailed
import org.hc.core.accountIdle
import org.hc.core.accountWorking
import org.hc.core.checkNewPassword
import org.hc.core.deviceAddedMessage
import org.hc.core.deviceListAskingToRemove
import org.hc.core.deviceListAt
import org.hc.core.deviceListFailed
import org.hc.core.deviceListLoading
import org.hc.core.deviceListRemovalCancelled
import org.hc.core.deviceListScreen
import org.hc.core.errorAction
import org.hc.core.errorMessage
import org.hc.core.passwordRuleMessage
import org.hc.core.plainMessage

// The screens' states and their transitions are the core's (AccountScreen, DeviceListScreen);
// these models only run the core calls in a coroutine scope and make the states observable.

/**
 * One account form (log in, register, add device, change password, log out everywhere): busy
 * while [work] runs, then the core's done or failed state.
 */
private fun CoroutineScope.submit(
    client: HcClient,
    screen: MutableStateFlow<AccountScreen>,
    work: suspend () -> UiMessage?,
): Job {
    screen.update { accountWorking(it) }
    return launch {
        screen.value = try {
            val done = work()
            accountDone(client.isLoggedIn(), done)
        } catch (e: HcException) {
            accountFailed(client.isLoggedIn(), e)
        }
    }
}

/**
 * The login screen as the app opens: idle, or saying that the saved session is another cloud's
 * (the core never sends it here: log in to this cloud).
 */
private fun openingScreen(client: HcClient): AccountScreen = when (val state = client.sessionState()) {
    is SessionState.OtherCloud -> accountFailed(false, HcException.SessionForOtherCloud(state.sessionCloud))
    else -> accountIdle(client.isLoggedIn())
}

/** Login, registration and logging out. */
class LoginModel(private val client: HcClient, private val scope: CoroutineScope) {
    private val _screen = MutableStateFlow(openingScreen(client))
    val screen: StateFlow<AccountScreen> = _screen.asStateFlow()

    /** The password rule, shown under the registration's password field: the core's words. */
    val passwordRule: UiMessage = passwordRuleMessage()

    /**
     * The registration form as typed, checked by the core before anything is sent: what is wrong
     * (too weak, the two differ), or null. Nothing typed says nothing; while the confirmation is
     * still empty only the rule is checked.
     */
    fun passwordProblem(email: String, password: String, passwordAgain: String): UiMessage? {
        if (password.isEmpty()) return null
        return try {
            checkNewPassword(email, password, passwordAgain.ifEmpty { password })
            null
        } catch (e: HcException) {
            errorMessage(e)
        }
    }

    /** The e-mail address as typed: the core trims it. */
    fun login(email: String, password: String): Job = scope.submit(client, _screen) {
        client.login(email, password); null
    }

    /** Creates the account and logs in with it (the core does both, and checks the password rule and its confirmation first). */
    fun register(email: String, password: String, passwordAgain: String = password): Job = scope.submit(client, _screen) {
        client.register(email, password, passwordAgain)
        _registered.value = true
        null
    }

    private val _registered = MutableStateFlow(false)

    /**
     * The account was created here just now: its address waits for the mailed code, so the app
     * goes to the verify step ([VerifyEmailModel]) rather than straight to the devices.
     */
    val registered: StateFlow<Boolean> = _registered.asStateFlow()

    /** Another screen signed this phone in or out (a forgotten password set anew): the login follows. */
    fun sessionChanged() {
        _screen.value = accountIdle(client.isLoggedIn())
    }

    fun logout(): Job = scope.launch {
        try {
            client.logout()
        } catch (e: HcException) {
            // The session is gone locally either way.
        }
        _registered.value = false
        _screen.value = accountIdle(client.isLoggedIn())
    }
}

/** Account security for a lost or stolen phone: change the password, log out everywhere. */
class AccountSecurityModel(private val client: HcClient, private val scope: CoroutineScope) {
    private val _screen = MutableStateFlow(accountIdle(client.isLoggedIn()))
    val screen: StateFlow<AccountScreen> = _screen.asStateFlow()

    /** Every other session of the account ends; this phone stays logged in. */
    fun changePassword(current: String, new: String): Job = scope.submit(client, _screen) {
        client.changePassword(current, new)
        plainMessage(MessageId.PASSWORD_CHANGED)
    }

    /** Every session ends, this one too: the screen then shows the login. */
    fun logOutEverywhere(): Job = scope.submit(client, _screen) {
        client.logOutEverywhere()
        plainMessage(MessageId.LOGGED_OUT_EVERYWHERE)
    }
}

/** The device list ("My devices"), with the age of the list when it comes from the cache. */
class DeviceListModel(
    private val client: HcClient,
    private val scope: CoroutineScope,
    private val clock: Clock = Clock.System,
) {
    private val _screen = MutableStateFlow(DeviceListScreen())
    val screen: StateFlow<DeviceListScreen> = _screen.asStateFlow()

    /** Pull-to-refresh passes `force = true`; opening the screen uses the cache while it is fresh. */
    fun refresh(force: Boolean = false): Job {
        _screen.update { deviceListLoading(it) }
        return scope.launch {
            _screen.value = try {
                deviceListScreen(client.devices(force), clock.nowUnix())
            } catch (e: HcException) {
                deviceListFailed(_screen.value, e)
            }
        }
    }

    /** "Remove" on a row: the screen asks to confirm ([DeviceListScreen.confirmRemoval]); nothing is sent yet. */
    fun askToRemove(serial: String) = _screen.update { deviceListAskingToRemove(it, serial) }

    /** The question answered "Cancel". */
    fun cancelRemoval() = _screen.update { deviceListRemovalCancelled(it) }

    /** The question answered "Remove": the device leaves the account, the list is fetched again. */
    fun confirmRemoval(): Job {
        val device = _screen.value.confirmRemoval ?: return Job().apply { complete() }
        _screen.update { deviceListLoading(it) }
        return scope.launch {
            try {
                client.removeDevice(device.serial)
                refresh(force = true).join()
            } catch (e: HcException) {
                _screen.update { deviceListFailed(it, e) }
            }
        }
    }

    /** Recomputes the cache age text (call it when the screen comes back to the foreground). */
    fun tick() = _screen.update { deviceListAt(it, clock.nowUnix()) }
}

/** Add device: serial and the 6-letter verification code printed on the device label. */
class AddDeviceModel(private val client: HcClient, private val scope: CoroutineScope) {
    private val _screen = MutableStateFlow(accountIdle(client.isLoggedIn()))
    val screen: StateFlow<AccountScreen> = _screen.asStateFlow()

    /** The fields as typed: the core reads the serial and label code as printed on the label. */
    fun add(serial: String, labelCode: String, name: String?): Job = scope.submit(client, _screen) {
        deviceAddedMessage(client.addDevice(serial, labelCode, name))
    }
}

/**
 * The account's audit ("Account activity"), newest first: each event in the core's words
 * ([AuditEventInfo.message]; other accounts' attempts on the owner's devices name them masked),
 * and "Show older" while the cloud has more.
 */
data class AuditScreen(
    val loading: Boolean = false,
    val events: List<AuditEventInfo> = emptyList(),
    /** The cloud has older events: the screen offers "Show older". */
    val hasMore: Boolean = false,
    /** Loaded, and nothing recorded. */
    val empty: Boolean = false,
    val error: UiMessage? = null,
    val errorAction: ErrorAction? = null,
)

class AuditModel(
    private val client: HcClient,
    private val scope: CoroutineScope,
    /** Events per page; null: the cloud's default. */
    private val pageSize: UInt? = null,
) {
    private val _screen = MutableStateFlow(AuditScreen())
    val screen: StateFlow<AuditScreen> = _screen.asStateFlow()
    private var nextBefore: Long? = null

    /** The newest page (opening the screen, pull to refresh). */
    fun refresh(): Job = load(before = null, keep = emptyList())

    /** "Show older": the next page, after the events shown. Nothing to do when there is none. */
    fun more(): Job {
        val before = nextBefore ?: return Job().apply { complete() }
        return load(before, _screen.value.events)
    }

    private fun load(before: Long?, keep: List<AuditEventInfo>): Job {
        _screen.update { it.copy(loading = true, error = null, errorAction = null) }
        return scope.launch {
            _screen.value = try {
                val page = client.auditPage(before, pageSize)
                nextBefore = page.nextBefore
                val events = keep + page.events
                AuditScreen(events = events, hasMore = page.nextBefore != null, empty = events.isEmpty())
            } catch (e: HcException) {
                _screen.value.copy(loading = false, error = errorMessage(e), errorAction = errorAction(e))
            }
        }
    }
}

package org.hc.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.hc.core.HcClient
import org.hc.core.HcException

/** Login and registration. */
class LoginModel(private val client: HcClient, private val scope: CoroutineScope) {
    data class Screen(
        val busy: Boolean = false,
        val loggedIn: Boolean = false,
        val error: UiMessage? = null,
    )

    private val _screen = MutableStateFlow(Screen(loggedIn = client.isLoggedIn()))
    val screen: StateFlow<Screen> = _screen.asStateFlow()

    /** The e-mail address as typed: the core trims it. */
    fun login(email: String, password: String): Job = perform { client.login(email, password) }

    /** Creates the account, then logs in with it. */
    fun register(email: String, password: String): Job = perform {
        client.register(email, password)
        client.login(email, password)
    }

    fun logout(): Job = scope.launch {
        try {
            client.logout()
        } catch (e: HcException) {
            // The session is gone locally either way.
        }
        _screen.value = Screen(loggedIn = client.isLoggedIn())
    }

    private fun perform(work: suspend () -> Unit): Job {
        _screen.update { it.copy(busy = true, error = null) }
        return scope.launch {
            _screen.value = try {
                work()
                Screen(loggedIn = true)
            } catch (e: HcException) {
                Screen(loggedIn = client.isLoggedIn(), error = e.toUiMessage())
            }
        }
    }
}

/** The device list ("My devices"), with the age of the list when it comes from the cache. */
class DeviceListModel(
    private val client: HcClient,
    private val scope: CoroutineScope,
    private val clock: Clock = Clock.System,
) {
    data class Row(val serial: String, val name: String, val model: String)

    data class Screen(
        val loading: Boolean = false,
        val devices: List<Row> = emptyList(),
        /** Set when the list is the cached one (offline, or fetched recently): "Updated 5 min ago". */
        val cacheAge: UiMessage? = null,
        val empty: UiMessage? = null,
        val error: UiMessage? = null,
        val errorAction: FailureAction? = null,
        val fetchedAtUnix: Long? = null,
        val fromCache: Boolean = false,
    )

    private val _screen = MutableStateFlow(Screen())
    val screen: StateFlow<Screen> = _screen.asStateFlow()

    /** Pull-to-refresh passes `force = true`; opening the screen uses the cache while it is fresh. */
    fun refresh(force: Boolean = false): Job {
        _screen.update { it.copy(loading = true, error = null, errorAction = null) }
        return scope.launch {
            try {
                val list = client.devices(force)
                val rows = list.devices.map { Row(it.serial, it.name.ifBlank { it.serial }, it.model) }
                _screen.value = Screen(
                    devices = rows,
                    empty = if (rows.isEmpty()) UiMessage(MessageId.DEVICES_EMPTY) else null,
                    fetchedAtUnix = list.fetchedAtUnix,
                    fromCache = list.fromCache,
                    cacheAge = if (list.fromCache) cacheAgeMessage(list.fetchedAtUnix, clock.nowUnix()) else null,
                )
            } catch (e: HcException) {
                _screen.update { it.copy(loading = false, error = e.toUiMessage(), errorAction = e.failureAction()) }
            }
        }
    }

    fun remove(serial: String): Job = scope.launch {
        try {
            client.removeDevice(serial)
            refresh(force = true).join()
        } catch (e: HcException) {
            _screen.update { it.copy(error = e.toUiMessage(), errorAction = e.failureAction()) }
        }
    }

    /** Recomputes the cache age text (call it when the screen comes back to the foreground). */
    fun tick() {
        _screen.update { s ->
            val at = s.fetchedAtUnix
            if (s.fromCache && at != null) s.copy(cacheAge = cacheAgeMessage(at, clock.nowUnix())) else s
        }
    }
}

/** Add device: serial and the 6-letter verification code printed on the device label. */
class AddDeviceModel(private val client: HcClient, private val scope: CoroutineScope) {
    data class Screen(
        val busy: Boolean = false,
        val added: UiMessage? = null,
        val error: UiMessage? = null,
    )

    private val _screen = MutableStateFlow(Screen())
    val screen: StateFlow<Screen> = _screen.asStateFlow()

    /** The fields as typed: the core reads the serial and label code as printed on the label. */
    fun add(serial: String, labelCode: String, name: String?): Job {
        _screen.value = Screen(busy = true)
        return scope.launch {
            _screen.value = try {
                val device = client.addDevice(serial, labelCode, name)
                Screen(added = UiMessage(MessageId.DEVICE_ADDED, device.serial))
            } catch (e: HcException) {
                Screen(error = e.toUiMessage())
            }
        }
    }
}

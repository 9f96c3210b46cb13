package org.hc.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.hc.core.ErrorAction
import org.hc.core.FeedEventInfo
import org.hc.core.HcClient
import org.hc.core.HcException
import org.hc.core.MessageId
import org.hc.core.ResetScreen
import org.hc.core.ScanHint
import org.hc.core.TransferRow
import org.hc.core.UiMessage
import org.hc.core.decodeImage
import org.hc.core.errorAction
import org.hc.core.errorHint
import org.hc.core.errorMessage
import org.hc.core.feed
import org.hc.core.transferRow

// The owner's security feed and device transfers (DESIGN.md section 9). The words of every event
// and every transfer row are the core's (FeedEventInfo.message, transferRow); these models only
// collect the core's feed stream, run the transfer calls and tick the countdown.

/**
 * The security feed screen: every event of the account, newest first, in the core's words, with
 * new ones added as they happen.
 */
data class FeedScreen(
    val events: List<FeedEventInfo> = emptyList(),
    /** The stream is open: new events appear by themselves. */
    val live: Boolean = false,
    val error: UiMessage? = null,
    val errorAction: ErrorAction? = null,
)

class SecurityFeedModel(private val client: HcClient, private val scope: CoroutineScope) : AutoCloseable {
    private val _screen = MutableStateFlow(FeedScreen())
    val screen: StateFlow<FeedScreen> = _screen.asStateFlow()
    private var job: Job? = null

    /**
     * Opening the screen (and "Try again" after an error): follows the feed after the newest event
     * shown, so nothing appears twice. Already open: nothing happens.
     */
    fun open(): Job = synchronized(this) {
        job?.takeIf { it.isActive }?.let { return it }
        val after = _screen.value.events.firstOrNull()?.id
        _screen.update { it.copy(live = true, error = null, errorAction = null) }
        scope.launch {
            try {
                client.feed(after).collect { event ->
                    _screen.update { it.copy(events = listOf(event) + it.events) }
                }
            } catch (e: HcException) {
                _screen.update { it.copy(live = false, error = errorMessage(e), errorAction = errorAction(e)) }
            }
        }.also { job = it }
    }

    /** Leaving the screen: the core's follower stops; the events shown stay for the next [open]. */
    override fun close() {
        synchronized(this) {
            job?.cancel()
            job = null
            _screen.update { it.copy(live = false) }
        }
    }
}

/**
 * The transfers screen: this account's own requests (the device moves to it when the waiting
 * period ends) and the requests for its devices (approve or refuse), each row the core's
 * ([TransferRow]: words, countdown, whether to offer Approve and Refuse).
 */
data class TransfersScreen(
    val loading: Boolean = false,
    val rows: List<TransferRow> = emptyList(),
    /** Loaded, and no request either way. */
    val empty: Boolean = false,
    val error: UiMessage? = null,
    val errorAction: ErrorAction? = null,
) {
    /** Requests for this account's devices that wait for its answer. */
    val awaitingMe: List<TransferRow> get() = rows.filter { it.canDecide }
}

class TransfersModel(
    private val client: HcClient,
    private val scope: CoroutineScope,
    private val clock: Clock = Clock.System,
) : AutoCloseable {
    private val _screen = MutableStateFlow(TransfersScreen())
    val screen: StateFlow<TransfersScreen> = _screen.asStateFlow()
    private var ticker: Job? = null

    /** Opening the screen, pull to refresh, and whenever the feed tells of a transfer. */
    fun refresh(): Job {
        _screen.update { it.copy(loading = true, error = null, errorAction = null) }
        return scope.launch {
            try {
                val transfers = client.transfers()
                val now = clock.nowUnix()
                val rows = transfers.map { transferRow(it, now) }
                _screen.value = TransfersScreen(rows = rows, empty = rows.isEmpty())
                schedule()
            } catch (e: HcException) {
                failed(e)
            }
        }
    }

    /** A feed event: a transfer's step changes this screen. */
    fun onFeedEvent(event: FeedEventInfo) {
        if (event.transferId != null) refresh()
    }

    /** The current owner's "Approve": the device moves to the other account at once. */
    fun approve(id: Long): Job = decide { client.approveTransfer(id) }

    /** The current owner's "Refuse": the device stays; that account cannot ask again for a while. */
    fun refuse(id: Long): Job = decide { client.refuseTransfer(id) }

    private fun decide(call: suspend () -> Unit): Job {
        _screen.update { it.copy(loading = true, error = null, errorAction = null) }
        return scope.launch {
            try {
                call()
                refresh().join()
            } catch (e: HcException) {
                failed(e)
            }
        }
    }

    private fun failed(e: HcException) =
        _screen.update { it.copy(loading = false, error = errorMessage(e), errorAction = errorAction(e)) }

    /** Recomputes the rows at the clock's time: the countdowns. */
    fun tick() {
        val now = clock.nowUnix()
        _screen.update { s -> s.copy(rows = s.rows.map { transferRow(it.transfer, now) }) }
    }

    /** While a request is open, the rows are computed again every second. */
    private fun schedule() = synchronized(this) {
        ticker?.cancel()
        ticker = if (_screen.value.rows.any { it.countdown != null }) {
            scope.launch {
                while (true) {
                    delay(1_000 - clock.nowMillis() % 1_000)
                    tick()
                }
            }
        } else {
            null
        }
    }

    override fun close() {
        synchronized(this) { ticker?.cancel(); ticker = null }
    }
}

/** The screen asking for a device: at it, with the QR code it shows now and its label code. */
sealed interface RequestTransferScreen {
    /** The form; [serial]: the device the note was about, when the screen was opened from it. */
    data class Form(val serial: String? = null) : RequestTransferScreen
    data object Sending : RequestTransferScreen
    /** Asked: the row of the new request, with its countdown (see [TransfersModel]). */
    data class Requested(val row: TransferRow) : RequestTransferScreen
    data class Failed(val message: UiMessage, val action: ErrorAction, val serial: String?) : RequestTransferScreen
}

class RequestTransferModel(
    private val client: HcClient,
    private val scope: CoroutineScope,
    private val clock: Clock = Clock.System,
    serial: String? = null,
) {
    private val serial: String? = serial
    private val _screen = MutableStateFlow<RequestTransferScreen>(RequestTransferScreen.Form(serial))
    val screen: StateFlow<RequestTransferScreen> = _screen.asStateFlow()

    /** The QR code's text (scanned, or typed as the device shows it) and the label code as typed. */
    fun request(qrText: String, labelCode: String): Job {
        _screen.value = RequestTransferScreen.Sending
        return scope.launch {
            _screen.value = try {
                RequestTransferScreen.Requested(transferRow(client.requestTransfer(qrText, labelCode), clock.nowUnix()))
            } catch (e: HcException) {
                RequestTransferScreen.Failed(errorMessage(e), errorAction(e), serial)
            }
        }
    }

    /** A photo or screenshot of the device's QR page (PNG/JPEG), read by the core's scanner. */
    fun requestFromImage(image: ByteArray, labelCode: String): Job = scope.launch {
        val text = try {
            decodeImage(image)
        } catch (e: HcException) {
            _screen.value = RequestTransferScreen.Failed(errorMessage(e), errorAction(e), serial)
            return@launch
        }
        if (text == null) {
            _screen.value = RequestTransferScreen.Failed(errorMessage(HcException.NoQrFound(ScanHint.NO_CODE)), ErrorAction.ScanAgain, serial)
            return@launch
        }
        request(text, labelCode).join()
    }

    /** Back to the form, after an error or to ask for another device. */
    fun again() {
        _screen.value = RequestTransferScreen.Form(serial)
    }
}

/**
 * The second line under a failed scan, from the core: after "added by another account", the
 * transfer path ([MessageId.HINT_REQUEST_TRANSFER]).
 */
val ResetScreen.Failed.hint: UiMessage? get() = errorHint(error)

/** The device the note offers to ask for: the screen shows "Ask for this device" for it. */
val ResetScreen.Failed.transferSerial: String?
    get() = hint?.takeIf { it.id == MessageId.HINT_REQUEST_TRANSFER }?.args?.firstOrNull()

/** The same for the add-device form ([org.hc.core.AccountScreen.errorHint]). */
val org.hc.core.AccountScreen.transferSerial: String?
    get() = errorHint?.takeIf { it.id == MessageId.HINT_REQUEST_TRANSFER }?.args?.firstOrNull()

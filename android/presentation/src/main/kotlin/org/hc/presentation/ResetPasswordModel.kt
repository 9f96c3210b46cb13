package org.hc.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import org.hc.core.Frame
import org.hc.core.HcClient
import org.hc.core.HcException
import org.hc.core.ResetFlow
import org.hc.core.ResetFlowListener
import org.hc.core.ResetState
import org.hc.core.countdown
import org.hc.core.groupCode

/**
 * More > Reset Device Password: the scanner and code screens. The core's [ResetFlow] is the state
 * machine; this model only turns its states into what the screens show and runs the countdown.
 * The camera hands every frame to [submitFrame] (the core keeps only the latest).
 */
class ResetPasswordModel(
    client: HcClient,
    private val scope: CoroutineScope,
    private val clock: Clock = Clock.System,
) : AutoCloseable {

    sealed interface Screen {
        /** Camera on, looking for the device's QR code. */
        data class Scanning(val hint: UiMessage) : Screen

        /** A reset code was read; the app is checking it or asking the cloud. */
        data class Working(val serial: String, val model: String, val status: UiMessage) : Screen

        /** The code to enter on the device, with its countdown. */
        data class Code(
            val serial: String,
            val model: String,
            val code: String,
            /** "6078 4413": large digits, grouped for reading aloud. */
            val groupedCode: String,
            val expiresAtUnix: Long,
            val secondsLeft: Long,
            /** "Valid for 9:59", or "This code has expired" once [secondsLeft] is 0. */
            val countdown: UiMessage,
            val instructions: UiMessage,
        ) : Screen {
            val expired: Boolean get() = secondsLeft == 0L
        }

        /** Something went wrong; [action] is the button the screen offers. */
        data class Failed(val message: UiMessage, val action: FailureAction, val error: HcException) : Screen
    }

    // Declared before the flow: its listener may run on a core thread as soon as the flow exists.
    private val _screen = MutableStateFlow<Screen>(Screen.Scanning(UiMessage(MessageId.SCAN_HINT)))
    val screen: StateFlow<Screen> = _screen.asStateFlow()
    @Volatile private var coreState: ResetState = ResetState.Scanning
    private var ticker: Job? = null

    private val listener = object : ResetFlowListener {
        override fun onState(state: ResetState) = onCoreState(state)
    }
    private val flow: ResetFlow = client.resetFlow(listener)

    /** Whether camera frames are wanted (the analyzer can skip copying planes otherwise). */
    val wantsFrames: Boolean get() = coreState is ResetState.Scanning

    fun submitFrame(frame: Frame) {
        if (wantsFrames) flow.submitFrame(frame)
    }

    /** A photo or screenshot from the picker (PNG/JPEG bytes). */
    fun submitImage(bytes: ByteArray) = flow.submitImage(bytes)

    fun submitText(text: String) = flow.submitText(text)

    /** The "Try again" button: asks the cloud again for the QR already read. */
    fun retry() = flow.retry()

    /** The "Scan again" button, and leaving the code screen. */
    fun scanAgain() = flow.cancel()

    /** Recomputes the countdown (the ticker calls it every second). */
    fun tick() {
        val state = coreState
        if (state is ResetState.CodeReady) _screen.value = present(state)
    }

    override fun close() {
        ticker?.cancel()
        flow.cancel()
        flow.close()
    }

    private fun onCoreState(state: ResetState) {
        coreState = state
        _screen.value = present(state)
        synchronized(this) {
            ticker?.cancel()
            ticker = if (state is ResetState.CodeReady) scope.launch {
                while (isActive) {
                    delay(1000 - System.currentTimeMillis() % 1000)
                    tick()
                    if ((_screen.value as? Screen.Code)?.expired != false) break
                }
            } else null
        }
    }

    private fun present(state: ResetState): Screen = when (state) {
        is ResetState.Scanning -> Screen.Scanning(UiMessage(MessageId.SCAN_HINT))
        is ResetState.Recognized ->
            Screen.Working(state.serial, state.model, UiMessage(MessageId.SCAN_RECOGNIZED, state.model, state.serial))
        is ResetState.Requesting ->
            Screen.Working(state.serial, state.model, UiMessage(MessageId.SCAN_REQUESTING, state.model, state.serial))
        is ResetState.CodeReady -> {
            val left = countdown(state.expiresAtUnix, clock.nowUnix())
            Screen.Code(
                serial = state.serial,
                model = state.model,
                code = state.code,
                groupedCode = groupCode(state.code),
                expiresAtUnix = state.expiresAtUnix,
                secondsLeft = left.secondsLeft,
                countdown = countdownMessage(left),
                instructions = UiMessage(MessageId.CODE_INSTRUCTIONS),
            )
        }
        is ResetState.Failed -> Screen.Failed(state.error.toUiMessage(), state.error.failureAction(), state.error)
    }
}

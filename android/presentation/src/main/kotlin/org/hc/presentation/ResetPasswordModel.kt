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
import org.hc.core.ResetFlow
import org.hc.core.ResetFlowListener
import org.hc.core.ResetScreen
import org.hc.core.ResetState
import org.hc.core.resetScreen

/**
 * More > Reset Device Password: the scanner and code screens. The core decides what the screen
 * shows ([resetScreen]); this model only makes it observable and runs the once-a-second countdown.
 * The camera hands every frame to [submitFrame] (the core keeps only the latest).
 */
class ResetPasswordModel(
    client: HcClient,
    private val scope: CoroutineScope,
    private val clock: Clock = Clock.System,
) : AutoCloseable {
    // Declared before the flow: its listener may run on a core thread as soon as the flow exists.
    @Volatile private var coreState: ResetState = ResetState.Scanning()
    private val _screen = MutableStateFlow(resetScreen(coreState, clock.nowUnix()))
    val screen: StateFlow<ResetScreen> = _screen.asStateFlow()
    private var ticker: Job? = null

    private val listener = object : ResetFlowListener {
        override fun onState(state: ResetState) = onCoreState(state)
    }
    private val flow: ResetFlow = client.resetFlow(listener)

    /** Whether camera frames are wanted (the analyzer can skip copying planes otherwise). */
    val wantsFrames: Boolean get() = _screen.value is ResetScreen.Scanning

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
        _screen.value = resetScreen(coreState, clock.nowUnix())
    }

    override fun close() {
        ticker?.cancel()
        flow.cancel()
        flow.close()
    }

    private fun onCoreState(state: ResetState) {
        coreState = state
        tick()
        synchronized(this) {
            ticker?.cancel()
            ticker = if (state is ResetState.CodeReady) scope.launch {
                while (isActive) {
                    delay(1000 - System.currentTimeMillis() % 1000)
                    tick()
                    if ((_screen.value as? ResetScreen.Code)?.code?.expired != false) break
                }
            } else null
        }
    }
}

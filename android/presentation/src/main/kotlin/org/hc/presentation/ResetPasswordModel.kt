package org.hc.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.flow.updateAndGet
import kotlinx.coroutines.launch
import org.hc.core.FocusPoint
import org.hc.core.Frame
import org.hc.core.HcClient
import org.hc.core.ResetFlow
import org.hc.core.ResetFlowListener
import org.hc.core.ResetScreen
import org.hc.core.ResetState
import org.hc.core.Viewfinder
import org.hc.core.resetView
import org.hc.core.viewfinderFocused
import org.hc.core.viewfinderNew
import org.hc.core.viewfinderPinched
import org.hc.core.viewfinderTapped

/** What the phone does when a verification code appears: the app vibrates; the model decides when. */
fun interface Haptics {
    fun codeAppeared()

    companion object {
        val None = Haptics {}
    }
}

/**
 * More > Reset Device Password: the scanner and code screens. The core decides what the screen
 * shows, whether the display stays on, when to vibrate and when to look again ([resetView]); this
 * model only makes it observable and sleeps until the next tick the core asks for. The camera
 * hands every frame to [submitFrame] (the core keeps only the latest) and the viewfinder's
 * gestures to [pinched] and [tapped].
 */
class ResetPasswordModel(
    client: HcClient,
    private val scope: CoroutineScope,
    private val clock: Clock = Clock.System,
    private val haptics: Haptics = Haptics.None,
) : AutoCloseable {
    // Declared before the flow: its listener may run on a core thread as soon as the flow exists.
    @Volatile private var coreState: ResetState = ResetState.Scanning()
    private val first = resetView(coreState, null, clock.nowMillis())
    private val _screen = MutableStateFlow(first.screen)
    val screen: StateFlow<ResetScreen> = _screen.asStateFlow()
    private val _keepScreenOn = MutableStateFlow(first.keepScreenOn)

    /** Whether the display stays awake (the scanner, the wait, a valid code). */
    val keepScreenOn: StateFlow<Boolean> = _keepScreenOn.asStateFlow()
    private val _viewfinder = MutableStateFlow<Viewfinder?>(null)

    /** The zoom to set on the camera and the focus ring to draw; null until the camera opened. */
    val viewfinder: StateFlow<Viewfinder?> = _viewfinder.asStateFlow()
    private var ticker: Job? = null

    private val listener = object : ResetFlowListener {
        override fun onState(state: ResetState) {
            coreState = state
            tick()
        }
    }
    private val flow: ResetFlow = client.resetFlow(listener)

    /** Whether camera frames are wanted (the analyzer can skip copying planes otherwise). */
    val wantsFrames: Boolean get() = _screen.value is ResetScreen.Scanning

    fun submitFrame(frame: Frame) {
        if (wantsFrames) flow.submitFrame(frame)
    }

    /** A photo or screenshot from the picker (PNG/JPEG bytes). */
    fun submitImage(bytes: ByteArray) = flow.submitImage(bytes)

    /** The QR code's text, typed by hand or pasted (the device shows it beside the code). */
    fun submitText(text: String) = flow.submitText(text)

    /** The "Try again" button: asks the cloud again for the QR already read. */
    fun retry() = flow.retry()

    /** The "Scan again" button, and leaving the code screen. */
    fun scanAgain() = flow.cancel()

    /** The camera opened with this zoom range: the viewfinder starts without zoom. */
    fun cameraOpened(minZoom: Float, maxZoom: Float) {
        _viewfinder.value = viewfinderNew(minZoom, maxZoom)
    }

    /** A pinch that spread the fingers by [scale] since its previous event. */
    fun pinched(scale: Float) = _viewfinder.update { it?.let { viewfinderPinched(it, scale) } }

    /** A tap at ([x], [y]) of the preview, from 0 to 1: the point to focus on, or null before the camera opened. */
    fun tapped(x: Float, y: Float): FocusPoint? =
        _viewfinder.updateAndGet { it?.let { viewfinderTapped(it, x, y) } }?.focus

    /** The camera finished focusing for [tap]: its ring goes. */
    fun focused(tap: UInt) = _viewfinder.update { it?.let { viewfinderFocused(it, tap) } }

    /** Computes the view again at the clock's time (the core says when: every second of a countdown). */
    fun tick() {
        synchronized(this) {
            val view = resetView(coreState, _screen.value, clock.nowMillis())
            // The buzz before the screen: whoever sees the code has had its vibration.
            if (view.vibrate) haptics.codeAppeared()
            _keepScreenOn.value = view.keepScreenOn
            _screen.value = view.screen
            ticker?.cancel()
            ticker = view.nextTickMs?.let { ms ->
                scope.launch {
                    delay(ms.toLong())
                    tick()
                }
            }
        }
    }

    override fun close() {
        synchronized(this) { ticker?.cancel() }
        flow.cancel()
        flow.close()
    }
}

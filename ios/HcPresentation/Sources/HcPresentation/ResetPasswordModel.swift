import Foundation
import HcCore

/// What the phone does when a verification code appears: the app vibrates; the model decides when.
public protocol Haptics: Sendable {
    func codeAppeared()
}

public struct NoHaptics: Haptics {
    public init() {}
    public func codeAppeared() {}
}

/// More > Reset Device Password: the scanner and code screens. The core decides what the screen
/// shows, whether the display stays on, when to vibrate and when to look again (`resetView`); this
/// model only makes it observable and sleeps until the next tick the core asks for. The camera
/// hands every frame to `submitFrame` (the core keeps only the latest) and the viewfinder's
/// gestures to `pinched` and `tapped`.
public final class ResetPasswordModel: @unchecked Sendable {
    public typealias Screen = ResetScreen
    public typealias Code = CodeScreen

    private final class Listener: ResetFlowListener, @unchecked Sendable {
        weak var model: ResetPasswordModel?
        func onState(state: ResetState) { model?.onCoreState(state) }
    }

    public let screen: ScreenState<Screen>
    /// Whether the display stays awake (the scanner, the wait, a valid code).
    public let keepScreenOn: ScreenState<Bool>
    /// The zoom to set on the camera and the focus ring to draw; nil until the camera opened.
    public let viewfinder = ScreenState<Viewfinder?>(nil)
    private let flow: ResetFlow
    private let clock: Clock
    private let haptics: Haptics
    private let lock = NSRecursiveLock()
    private var coreState: ResetState
    private var ticker: Task<Void, Never>?

    public init(client: HcClient, clock: Clock = SystemClock(), haptics: Haptics = NoHaptics()) {
        let listener = Listener()
        self.clock = clock
        self.haptics = haptics
        flow = client.resetFlow(listener: listener)
        coreState = .scanning(hint: nil)
        let first = resetView(state: .scanning(hint: nil), shown: nil, nowUnixMs: clock.nowMillis())
        screen = ScreenState(first.screen)
        keepScreenOn = ScreenState(first.keepScreenOn)
        listener.model = self
        onCoreState(flow.state())
    }

    deinit { ticker?.cancel() }

    /// Whether camera frames are wanted (the capture delegate can skip copying planes otherwise).
    public var wantsFrames: Bool {
        if case .scanning = screen.value { return true } else { return false }
    }

    public func submitFrame(_ frame: Frame) { if wantsFrames { flow.submitFrame(frame: frame) } }

    /// A photo or screenshot from the picker (PNG/JPEG bytes).
    public func submitImage(_ bytes: Data) { flow.submitImage(bytes: bytes) }

    /// The QR code's text, typed by hand or pasted (the device shows it beside the code).
    public func submitText(_ text: String) { flow.submitText(text: text) }

    /// The "Try again" button: asks the cloud again for the QR already read.
    public func retry() { flow.retry() }

    /// The "Scan again" button, and leaving the code screen.
    public func scanAgain() { flow.cancel() }

    /// The camera opened with this zoom range: the viewfinder starts without zoom.
    public func cameraOpened(minZoom: Float, maxZoom: Float) {
        viewfinder.set(viewfinderNew(minZoom: minZoom, maxZoom: maxZoom))
    }

    /// A pinch that spread the fingers by `scale` since its previous event.
    public func pinched(_ scale: Float) {
        viewfinder.update { view in view = view.map { viewfinderPinched(viewfinder: $0, scale: scale) } }
    }

    /// A tap at (`x`, `y`) of the preview, from 0 to 1: the point to focus on, or nil before the
    /// camera opened.
    @discardableResult
    public func tapped(x: Float, y: Float) -> FocusPoint? {
        var focus: FocusPoint?
        viewfinder.update { view in
            view = view.map { viewfinderTapped(viewfinder: $0, x: x, y: y) }
            focus = view?.focus
        }
        return focus
    }

    /// The camera finished focusing for `tap`: its ring goes.
    public func focused(tap: UInt32) {
        viewfinder.update { view in view = view.map { viewfinderFocused(viewfinder: $0, tap: tap) } }
    }

    /// Computes the view again at the clock's time (the core says when: every second of a countdown).
    public func tick() {
        lock.withLock {
            let view = resetView(state: coreState, shown: screen.value, nowUnixMs: clock.nowMillis())
            // The buzz before the screen: whoever sees the code has had its vibration.
            if view.vibrate { haptics.codeAppeared() }
            keepScreenOn.set(view.keepScreenOn)
            screen.set(view.screen)
            ticker?.cancel()
            ticker = view.nextTickMs.map { ms in
                Task { [weak self] in
                    try? await Task.sleep(nanoseconds: ms * 1_000_000)
                    guard let self, !Task.isCancelled else { return }
                    self.tick()
                }
            }
        }
    }

    /// Leaving the screen: stops the flow and the countdown.
    public func close() {
        lock.withLock { ticker?.cancel(); ticker = nil }
        flow.cancel()
    }

    private func onCoreState(_ state: ResetState) {
        lock.withLock { coreState = state }
        tick()
    }
}

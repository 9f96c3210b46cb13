import Foundation
import HcCore

/// More > Reset Device Password: the scanner and code screens. The core decides what the screen
/// shows (`resetScreen`); this model makes it observable and runs the once-a-second countdown. The
/// camera hands every frame to `submitFrame` (the core keeps only the latest).
public final class ResetPasswordModel: @unchecked Sendable {
    public typealias Screen = ResetScreen
    public typealias Code = CodeScreen

    private final class Listener: ResetFlowListener, @unchecked Sendable {
        weak var model: ResetPasswordModel?
        func onState(state: ResetState) { model?.onCoreState(state) }
    }

    public let screen: ScreenState<Screen>
    private let flow: ResetFlow
    private let clock: Clock
    private let lock = NSLock()
    private var coreState: ResetState
    private var ticker: Task<Void, Never>?

    public init(client: HcClient, clock: Clock = SystemClock()) {
        let listener = Listener()
        self.clock = clock
        flow = client.resetFlow(listener: listener)
        coreState = flow.state()
        screen = ScreenState(resetScreen(state: .scanning(hint: nil), nowUnix: clock.nowUnix()))
        listener.model = self
        tick()
    }

    deinit { ticker?.cancel() }

    /// Whether camera frames are wanted (the capture delegate can skip copying planes otherwise).
    public var wantsFrames: Bool {
        if case .scanning = screen.value { return true } else { return false }
    }

    public func submitFrame(_ frame: Frame) { if wantsFrames { flow.submitFrame(frame: frame) } }

    /// A photo or screenshot from the picker (PNG/JPEG bytes).
    public func submitImage(_ bytes: Data) { flow.submitImage(bytes: bytes) }

    public func submitText(_ text: String) { flow.submitText(text: text) }

    /// The "Try again" button: asks the cloud again for the QR already read.
    public func retry() { flow.retry() }

    /// The "Scan again" button, and leaving the code screen.
    public func scanAgain() { flow.cancel() }

    /// Recomputes the screen at the clock's time (the ticker calls it every second).
    public func tick() {
        let state = lock.withLock { coreState }
        screen.set(resetScreen(state: state, nowUnix: clock.nowUnix()))
    }

    /// Leaving the screen: stops the flow and the countdown.
    public func close() {
        lock.withLock { ticker?.cancel(); ticker = nil }
        flow.cancel()
    }

    private func onCoreState(_ state: ResetState) {
        lock.withLock {
            coreState = state
            ticker?.cancel()
            ticker = nil
            if case .codeReady = state {
                ticker = Task { [weak self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(nanoseconds: 1_000_000_000)
                        guard let self, !Task.isCancelled else { return }
                        self.tick()
                        if case let .code(code) = self.screen.value, code.expired { return }
                    }
                }
            }
        }
        tick()
    }
}

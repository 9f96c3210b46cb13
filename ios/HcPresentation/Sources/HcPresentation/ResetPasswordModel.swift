import Foundation
import HcCore

/// More > Reset Device Password: the scanner and code screens. The core's `ResetFlow` is the state
/// machine; this model turns its states into what the screens show and runs the countdown. The
/// camera hands every frame to `submitFrame` (the core keeps only the latest).
public final class ResetPasswordModel: @unchecked Sendable {
    public struct Code: Equatable, Sendable {
        public let serial: String
        public let model: String
        public let code: String
        /// "6078 4413": large digits, grouped for reading aloud.
        public let groupedCode: String
        public let expiresAtUnix: Int64
        public let secondsLeft: Int64
        /// "Valid for 9:59", or "This code has expired" once `secondsLeft` is 0.
        public let countdown: UiMessage
        public let instructions: UiMessage
        public var expired: Bool { secondsLeft == 0 }
    }

    public enum Screen: Equatable, Sendable {
        /// Camera on, looking for the device's QR code.
        case scanning(hint: UiMessage)
        /// A reset code was read; the app is checking it or asking the cloud.
        case working(serial: String, model: String, status: UiMessage)
        /// The code to enter on the device, with its countdown.
        case code(Code)
        /// Something went wrong; `action` is the button the screen offers.
        case failed(message: UiMessage, action: FailureAction)
    }

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
        screen = ScreenState(.scanning(hint: UiMessage(.scanHint)))
        listener.model = self
        screen.set(present(lock.withLock { coreState }))
    }

    deinit { ticker?.cancel() }

    /// Whether camera frames are wanted (the capture delegate can skip copying planes otherwise).
    public var wantsFrames: Bool {
        lock.withLock { if case .scanning = coreState { return true } else { return false } }
    }

    public func submitFrame(_ frame: Frame) { if wantsFrames { flow.submitFrame(frame: frame) } }

    /// A photo or screenshot from the picker (PNG/JPEG bytes).
    public func submitImage(_ bytes: Data) { flow.submitImage(bytes: bytes) }

    public func submitText(_ text: String) { flow.submitText(text: text) }

    /// The "Try again" button: asks the cloud again for the QR already read.
    public func retry() { flow.retry() }

    /// The "Scan again" button, and leaving the code screen.
    public func scanAgain() { flow.cancel() }

    /// Recomputes the countdown (the ticker calls it every second).
    public func tick() {
        let state = lock.withLock { coreState }
        if case .codeReady = state { screen.set(present(state)) }
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
        screen.set(present(state))
    }

    private func present(_ state: ResetState) -> Screen {
        switch state {
        case .scanning:
            return .scanning(hint: UiMessage(.scanHint))
        case let .recognized(serial, model):
            return .working(serial: serial, model: model, status: UiMessage(.scanRecognized, model, serial))
        case let .requesting(serial, model):
            return .working(serial: serial, model: model, status: UiMessage(.scanRequesting, model, serial))
        case let .codeReady(serial, model, code, expiresAtUnix):
            let left = countdown(expiresAtUnix: expiresAtUnix, nowUnix: clock.nowUnix())
            return .code(Code(
                serial: serial, model: model, code: code, groupedCode: groupCode(code: code),
                expiresAtUnix: expiresAtUnix,
                secondsLeft: left.secondsLeft,
                countdown: countdownMessage(left),
                instructions: UiMessage(.codeInstructions)))
        case let .failed(error):
            return .failed(message: error.uiMessage, action: error.failureAction)
        }
    }
}

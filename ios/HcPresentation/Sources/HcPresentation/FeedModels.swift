import Foundation
import HcCore

// The owner's security feed and device transfers (DESIGN.md section 9). The words of every event
// and every transfer row are the core's (FeedEventInfo.message, transferRow); these models only
// consume the core's feed stream (HcClient.feed, in HcCore), run the transfer calls and tick the
// countdown.

/// The security feed screen: every event of the account, newest first, in the core's words, with
/// new ones added as they happen.
public struct FeedScreen: Equatable {
    public var events: [FeedEventInfo] = []
    /// The stream is open: new events appear by themselves.
    public var live = false
    public var error: UiMessage?
    public var errorAction: ErrorAction?

    public init(events: [FeedEventInfo] = [], live: Bool = false, error: UiMessage? = nil, errorAction: ErrorAction? = nil) {
        self.events = events
        self.live = live
        self.error = error
        self.errorAction = errorAction
    }
}

extension FeedEventInfo: Identifiable {}

public final class SecurityFeedModel: @unchecked Sendable {
    public typealias Screen = FeedScreen

    public let screen = ScreenState(FeedScreen())
    private let client: HcClient
    private let lock = NSLock()
    private var task: Task<Void, Never>?

    public init(client: HcClient) { self.client = client }

    deinit { task?.cancel() }

    /// Opening the screen (and "Try again" after an error): follows the feed after the newest event
    /// shown, so nothing appears twice. Already open: nothing happens. The returned task ends when
    /// the stream does (closed, or an error the core gave up on).
    @discardableResult
    public func open() -> Task<Void, Never> {
        lock.withLock {
            if let task, screen.value.live { return task }
            let after = screen.value.events.first?.id
            screen.update { $0.live = true; $0.error = nil; $0.errorAction = nil }
            let stream = client.feed(after: after)
            let task = Task { [weak self] in
                do {
                    for try await event in stream {
                        self?.screen.update { $0.events.insert(event, at: 0) }
                    }
                } catch {
                    let failed = hcError(error)
                    self?.screen.update {
                        $0.live = false
                        $0.error = errorMessage(error: failed)
                        $0.errorAction = errorAction(error: failed)
                    }
                }
            }
            self.task = task
            return task
        }
    }

    /// Leaving the screen: the core's follower stops; the events shown stay for the next `open`.
    public func close() {
        lock.withLock {
            task?.cancel()
            task = nil
            screen.update { $0.live = false }
        }
    }
}

/// The transfers screen: this account's own requests (the device moves to it when the waiting
/// period ends) and the requests for its devices (approve or refuse), each row the core's
/// (`TransferRow`: words, countdown, whether to offer Approve and Refuse).
public struct TransfersScreen: Equatable {
    public var loading = false
    public var rows: [TransferRow] = []
    /// Loaded, and no request either way.
    public var empty = false
    public var error: UiMessage?
    public var errorAction: ErrorAction?

    public init(loading: Bool = false, rows: [TransferRow] = [], empty: Bool = false, error: UiMessage? = nil,
                errorAction: ErrorAction? = nil) {
        self.loading = loading
        self.rows = rows
        self.empty = empty
        self.error = error
        self.errorAction = errorAction
    }

    /// Requests for this account's devices that wait for its answer.
    public var awaitingMe: [TransferRow] { rows.filter(\.canDecide) }
}

extension TransferRow: Identifiable {
    public var id: Int64 { transfer.id }
}

public final class TransfersModel: @unchecked Sendable {
    public typealias Screen = TransfersScreen

    public let screen = ScreenState(TransfersScreen())
    private let client: HcClient
    private let clock: Clock
    private let lock = NSLock()
    private var ticker: Task<Void, Never>?

    public init(client: HcClient, clock: Clock = SystemClock()) {
        self.client = client
        self.clock = clock
    }

    deinit { ticker?.cancel() }

    /// Opening the screen, pull to refresh, and whenever the feed tells of a transfer.
    public func refresh() async {
        screen.update { $0.loading = true; $0.error = nil; $0.errorAction = nil }
        do {
            let transfers = try await client.transfers()
            let now = clock.nowUnix()
            let rows = transfers.map { transferRow(transfer: $0, nowUnix: now) }
            screen.set(TransfersScreen(rows: rows, empty: rows.isEmpty))
            schedule()
        } catch {
            failed(error)
        }
    }

    /// A feed event: a transfer's step changes this screen.
    public func onFeedEvent(_ event: FeedEventInfo) async {
        if event.transferId != nil { await refresh() }
    }

    /// The current owner's "Approve": the device moves to the other account at once.
    public func approve(id: Int64) async {
        await decide { try await self.client.approveTransfer(id: id) }
    }

    /// The current owner's "Refuse": the device stays; that account cannot ask again for a while.
    public func refuse(id: Int64) async {
        await decide { try await self.client.refuseTransfer(id: id) }
    }

    private func decide(_ call: () async throws -> Void) async {
        screen.update { $0.loading = true; $0.error = nil; $0.errorAction = nil }
        do {
            try await call()
            await refresh()
        } catch {
            failed(error)
        }
    }

    private func failed(_ error: Error) {
        let failed = hcError(error)
        screen.update {
            $0.loading = false
            $0.error = errorMessage(error: failed)
            $0.errorAction = errorAction(error: failed)
        }
    }

    /// Recomputes the rows at the clock's time: the countdowns.
    public func tick() {
        let now = clock.nowUnix()
        screen.update { $0.rows = $0.rows.map { transferRow(transfer: $0.transfer, nowUnix: now) } }
    }

    /// While a request is open, the rows are computed again every second.
    private func schedule() {
        lock.withLock {
            ticker?.cancel()
            ticker = nil
            guard screen.value.rows.contains(where: { $0.countdown != nil }) else { return }
            ticker = Task { [weak self] in
                while !Task.isCancelled {
                    let ms = 1_000 - (self?.clock.nowMillis() ?? 0) % 1_000
                    try? await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000)
                    guard let self, !Task.isCancelled else { return }
                    self.tick()
                }
            }
        }
    }

    /// Leaving the screen: the countdown stops.
    public func close() {
        lock.withLock { ticker?.cancel(); ticker = nil }
    }
}

/// The screen asking for a device: at it, with the QR code it shows now and its label code.
public enum RequestTransferScreen: Equatable {
    /// The form; `serial`: the device the note was about, when the screen was opened from it.
    case form(serial: String?)
    case sending
    /// Asked: the row of the new request, with its countdown (see `TransfersModel`).
    case requested(row: TransferRow)
    case failed(message: UiMessage, action: ErrorAction, serial: String?)
}

public final class RequestTransferModel: @unchecked Sendable {
    public typealias Screen = RequestTransferScreen

    public let screen: ScreenState<Screen>
    private let client: HcClient
    private let clock: Clock
    private let serial: String?

    public init(client: HcClient, clock: Clock = SystemClock(), serial: String? = nil) {
        self.client = client
        self.clock = clock
        self.serial = serial
        screen = ScreenState(.form(serial: serial))
    }

    /// The QR code's text (scanned, or typed as the device shows it) and the label code as typed.
    public func request(qrText: String, labelCode: String) async {
        screen.set(.sending)
        do {
            let transfer = try await client.requestTransfer(qrText: qrText, labelCode: labelCode)
            screen.set(.requested(row: transferRow(transfer: transfer, nowUnix: clock.nowUnix())))
        } catch {
            fail(hcError(error))
        }
    }

    /// A photo or screenshot of the device's QR page (PNG/JPEG), read by the core's scanner.
    public func request(image: Data, labelCode: String) async {
        let text: String?
        do {
            text = try decodeImage(bytes: image)
        } catch {
            return fail(hcError(error))
        }
        guard let text else { return fail(.NoQrFound(hint: .noCode)) }
        await request(qrText: text, labelCode: labelCode)
    }

    /// Back to the form, after an error or to ask for another device.
    public func again() { screen.set(.form(serial: serial)) }

    private func fail(_ error: HcError) {
        screen.set(.failed(message: errorMessage(error: error), action: errorAction(error: error), serial: serial))
    }
}

/// The device the core's hint under a note offers to ask for (`MessageId.hintRequestTransfer`).
private func offeredTransferSerial(_ hint: UiMessage?) -> String? {
    guard let hint, hint.id == .hintRequestTransfer else { return nil }
    return hint.args.first
}

extension ResetScreen {
    /// The second line under a failed scan, from the core: after "added by another account", the
    /// transfer path.
    public var hint: UiMessage? {
        if case let .failed(error, _, _) = self { return errorHint(error: error) }
        return nil
    }

    /// The device the note offers to ask for: the screen shows "Ask for this device" for it.
    public var transferSerial: String? { offeredTransferSerial(hint) }
}

extension AccountScreen {
    /// The same for the add-device form.
    public var transferSerial: String? { offeredTransferSerial(errorHint) }
}

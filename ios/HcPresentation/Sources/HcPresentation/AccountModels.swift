import Foundation
import HcCore

// The screens' states and their transitions are the core's (AccountScreen, DeviceListScreen);
// these models only run the core calls and make the states observable.

/// One account form (log in, register, add device, change password, log out everywhere): busy
/// while `work` runs, then the core's done or failed state.
private func submit(_ client: HcClient, _ screen: ScreenState<AccountScreen>,
                    _ work: () async throws -> UiMessage?) async {
    screen.update { $0 = accountWorking(screen: $0) }
    do {
        let done = try await work()
        screen.set(accountDone(loggedIn: client.isLoggedIn(), done: done))
    } catch {
        screen.set(accountFailed(loggedIn: client.isLoggedIn(), error: hcError(error)))
    }
}

/// The login screen as the app opens: idle, or saying that the saved session is another cloud's
/// (the core never sends it here: log in to this cloud).
private func openingScreen(_ client: HcClient) -> AccountScreen {
    if case let .otherCloud(sessionCloud) = client.sessionState() {
        return accountFailed(loggedIn: false, error: .SessionForOtherCloud(sessionCloud: sessionCloud))
    }
    return accountIdle(loggedIn: client.isLoggedIn())
}

/// Login, registration and logging out.
public final class LoginModel: @unchecked Sendable {
    public typealias Screen = AccountScreen

    public let screen: ScreenState<Screen>
    private let client: HcClient

    /// The password rule, shown under the registration's password field: the core's words.
    public let passwordRule: UiMessage = passwordRuleMessage()

    public init(client: HcClient) {
        self.client = client
        screen = ScreenState(openingScreen(client))
    }

    /// The registration form as typed, checked by the core before anything is sent: what is wrong
    /// (too weak, the two differ), or nil. Nothing typed says nothing; while the confirmation is
    /// still empty only the rule is checked.
    public func passwordProblem(email: String, password: String, passwordAgain: String) -> UiMessage? {
        if password.isEmpty { return nil }
        do {
            try checkNewPassword(email: email, password: password, passwordAgain: passwordAgain.isEmpty ? password : passwordAgain)
            return nil
        } catch {
            return errorMessage(error: hcError(error))
        }
    }

    /// The e-mail address as typed: the core trims it.
    public func login(email: String, password: String) async {
        await submit(client, screen) { try await self.client.login(email: email, password: password); return nil }
    }

    /// Creates the account and logs in with it (the core does both, and checks the password rule
    /// and its confirmation first).
    public func register(email: String, password: String, passwordAgain: String? = nil) async {
        await submit(client, screen) {
            try await self.client.register(email: email, password: password, passwordAgain: passwordAgain ?? password)
            self.registered.set(true)
            return nil
        }
    }

    /// The account was created here just now: its address waits for the mailed code, so the app
    /// goes to the verify step (`VerifyEmailModel`) rather than straight to the devices.
    public let registered = ScreenState(false)

    /// Another screen signed this phone in or out (a forgotten password set anew): the login follows.
    public func sessionChanged() {
        screen.set(accountIdle(loggedIn: client.isLoggedIn()))
    }

    public func logout() async {
        try? await client.logout()  // the session is gone locally either way
        registered.set(false)
        screen.set(accountIdle(loggedIn: client.isLoggedIn()))
    }
}

/// Account security for a lost or stolen phone: change the password, log out everywhere.
public final class AccountSecurityModel: @unchecked Sendable {
    public let screen: ScreenState<AccountScreen>
    private let client: HcClient

    public init(client: HcClient) {
        self.client = client
        screen = ScreenState(accountIdle(loggedIn: client.isLoggedIn()))
    }

    /// Every other session of the account ends; this phone stays logged in.
    public func changePassword(current: String, new: String) async {
        await submit(client, screen) {
            try await self.client.changePassword(currentPassword: current, newPassword: new)
            return plainMessage(id: .passwordChanged)
        }
    }

    /// Every session ends, this one too: the app then shows the login.
    public func logOutEverywhere() async {
        await submit(client, screen) {
            try await self.client.logOutEverywhere()
            return plainMessage(id: .loggedOutEverywhere)
        }
    }
}

/// The device list ("My devices"), with the age of the list when it comes from the cache.
public final class DeviceListModel: @unchecked Sendable {
    public typealias Screen = DeviceListScreen

    public let screen = ScreenState(DeviceListScreen())
    private let client: HcClient
    private let clock: Clock

    public init(client: HcClient, clock: Clock = SystemClock()) {
        self.client = client
        self.clock = clock
    }

    /// Pull-to-refresh passes `force: true`; opening the screen uses the cache while it is fresh.
    public func refresh(force: Bool = false) async {
        screen.update { $0 = deviceListLoading(screen: $0) }
        do {
            let list = try await client.devices(forceRefresh: force)
            screen.set(deviceListScreen(snapshot: list, nowUnix: clock.nowUnix()))
        } catch {
            screen.update { $0 = deviceListFailed(screen: $0, error: hcError(error)) }
        }
    }

    /// "Remove" on a row: the screen asks to confirm (`confirmRemoval`); nothing is sent yet.
    public func askToRemove(serial: String) {
        screen.update { $0 = deviceListAskingToRemove(screen: $0, serial: serial) }
    }

    /// The question answered "Cancel".
    public func cancelRemoval() {
        screen.update { $0 = deviceListRemovalCancelled(screen: $0) }
    }

    /// The question answered "Remove": the device leaves the account, the list is fetched again.
    public func confirmRemoval() async {
        guard let device = screen.value.confirmRemoval else { return }
        screen.update { $0 = deviceListLoading(screen: $0) }
        do {
            try await client.removeDevice(serial: device.serial)
            await refresh(force: true)
        } catch {
            screen.update { $0 = deviceListFailed(screen: $0, error: hcError(error)) }
        }
    }

    /// Recomputes the cache age text (call it when the screen comes back to the foreground).
    public func tick() {
        let now = clock.nowUnix()
        screen.update { $0 = deviceListAt(screen: $0, nowUnix: now) }
    }
}

/// Add device: the serial and the 6-letter verification code printed on the device label.
public final class AddDeviceModel: @unchecked Sendable {
    public typealias Screen = AccountScreen

    public let screen: ScreenState<Screen>
    private let client: HcClient

    public init(client: HcClient) {
        self.client = client
        screen = ScreenState(accountIdle(loggedIn: client.isLoggedIn()))
    }

    /// The fields as typed: the core reads the serial and label code as printed on the label.
    public func add(serial: String, labelCode: String, name: String?) async {
        await submit(client, screen) {
            deviceAddedMessage(device: try await self.client.addDevice(serial: serial, labelCode: labelCode, name: name))
        }
    }
}

/// The account's audit ("Account activity"), newest first: each event in the core's words
/// (`AuditEventInfo.message`; other accounts' attempts on the owner's devices name them masked),
/// and "Show older" while the cloud has more.
public struct AuditScreen: Equatable {
    public var loading = false
    public var events: [AuditEventInfo] = []
    /// The cloud has older events: the screen offers "Show older".
    public var hasMore = false
    /// Loaded, and nothing recorded.
    public var empty = false
    public var error: UiMessage?
    public var errorAction: ErrorAction?

    public init(loading: Bool = false, events: [AuditEventInfo] = [], hasMore: Bool = false, empty: Bool = false,
                error: UiMessage? = nil, errorAction: ErrorAction? = nil) {
        self.loading = loading
        self.events = events
        self.hasMore = hasMore
        self.empty = empty
        self.error = error
        self.errorAction = errorAction
    }
}

public final class AuditModel: @unchecked Sendable {
    public typealias Screen = AuditScreen

    public let screen = ScreenState(AuditScreen())
    private let client: HcClient
    private let pageSize: UInt32?
    private let lock = NSLock()
    private var nextBefore: Int64?

    /// `pageSize`: events per page; nil: the cloud's default.
    public init(client: HcClient, pageSize: UInt32? = nil) {
        self.client = client
        self.pageSize = pageSize
    }

    /// The newest page (opening the screen, pull to refresh).
    public func refresh() async { await load(before: nil, keep: []) }

    /// "Show older": the next page, after the events shown. Nothing to do when there is none.
    public func more() async {
        guard let before = lock.withLock({ nextBefore }) else { return }
        await load(before: before, keep: screen.value.events)
    }

    private func load(before: Int64?, keep: [AuditEventInfo]) async {
        screen.update { $0.loading = true; $0.error = nil; $0.errorAction = nil }
        do {
            let page = try await client.auditPage(before: before, limit: pageSize)
            lock.withLock { nextBefore = page.nextBefore }
            let events = keep + page.events
            screen.set(AuditScreen(events: events, hasMore: page.nextBefore != nil, empty: events.isEmpty))
        } catch {
            let failed = hcError(error)
            screen.update {
                $0.loading = false
                $0.error = errorMessage(error: failed)
                $0.errorAction = errorAction(error: failed)
            }
        }
    }
}

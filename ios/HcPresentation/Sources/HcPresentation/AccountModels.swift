import Foundation
import HcCore

/// Login and registration.
public final class LoginModel: @unchecked Sendable {
    public struct Screen: Equatable, Sendable {
        public var busy = false
        public var loggedIn = false
        public var error: UiMessage?
        public init(busy: Bool = false, loggedIn: Bool = false, error: UiMessage? = nil) {
            self.busy = busy; self.loggedIn = loggedIn; self.error = error
        }
    }

    public let screen: ScreenState<Screen>
    private let client: HcClient

    public init(client: HcClient) {
        self.client = client
        screen = ScreenState(Screen(loggedIn: client.isLoggedIn()))
    }

    /// The e-mail address as typed: the core trims it.
    public func login(email: String, password: String) async {
        await run { try await self.client.login(email: email, password: password) }
    }

    /// Creates the account, then logs in with it.
    public func register(email: String, password: String) async {
        await run {
            try await self.client.register(email: email, password: password)
            try await self.client.login(email: email, password: password)
        }
    }

    public func logout() async {
        try? await client.logout()  // the session is gone locally either way
        screen.set(Screen(loggedIn: client.isLoggedIn()))
    }

    private func run(_ work: () async throws -> Void) async {
        screen.update { $0.busy = true; $0.error = nil }
        do {
            try await work()
            screen.set(Screen(loggedIn: true))
        } catch {
            screen.set(Screen(loggedIn: client.isLoggedIn(), error: uiMessage(of: error)))
        }
    }
}

/// The device list ("My devices"), with the age of the list when it comes from the cache.
public final class DeviceListModel: @unchecked Sendable {
    public struct Row: Equatable, Sendable, Identifiable {
        public let serial: String
        public let name: String
        public let model: String
        public var id: String { serial }
    }

    public struct Screen: Equatable, Sendable {
        public var loading = false
        public var devices: [Row] = []
        /// Set when the list is the cached one (offline, or fetched recently): "Updated 5 min ago".
        public var cacheAge: UiMessage?
        public var empty: UiMessage?
        public var error: UiMessage?
        public var errorAction: FailureAction?
        public var fetchedAtUnix: Int64?
        public var fromCache = false
    }

    public let screen = ScreenState(Screen())
    private let client: HcClient
    private let clock: Clock

    public init(client: HcClient, clock: Clock = SystemClock()) {
        self.client = client
        self.clock = clock
    }

    /// Pull-to-refresh passes `force: true`; opening the screen uses the cache while it is fresh.
    public func refresh(force: Bool = false) async {
        screen.update { $0.loading = true; $0.error = nil; $0.errorAction = nil }
        do {
            let list = try await client.devices(forceRefresh: force)
            // A blank name (none, or only spaces) shows the serial, as on Android.
            let rows = list.devices.map {
                Row(serial: $0.serial, name: $0.name.allSatisfy(\.isWhitespace) ? $0.serial : $0.name, model: $0.model)
            }
            var s = Screen()
            s.devices = rows
            s.empty = rows.isEmpty ? UiMessage(.devicesEmpty) : nil
            s.fetchedAtUnix = list.fetchedAtUnix
            s.fromCache = list.fromCache
            s.cacheAge = list.fromCache ? cacheAgeMessage(fetchedAtUnix: list.fetchedAtUnix, nowUnix: clock.nowUnix()) : nil
            screen.set(s)
        } catch {
            screen.update {
                $0.loading = false
                $0.error = uiMessage(of: error)
                $0.errorAction = (error as? HcError)?.failureAction ?? .retry
            }
        }
    }

    public func remove(serial: String) async {
        do {
            try await client.removeDevice(serial: serial)
            await refresh(force: true)
        } catch {
            screen.update { $0.error = uiMessage(of: error); $0.errorAction = (error as? HcError)?.failureAction ?? .retry }
        }
    }

    /// Recomputes the cache age text (call it when the screen comes back to the foreground).
    public func tick() {
        let now = clock.nowUnix()
        screen.update { s in
            if s.fromCache, let at = s.fetchedAtUnix { s.cacheAge = cacheAgeMessage(fetchedAtUnix: at, nowUnix: now) }
        }
    }
}

/// Add device: the serial and the 6-letter verification code printed on the device label.
public final class AddDeviceModel: @unchecked Sendable {
    public struct Screen: Equatable, Sendable {
        public var busy = false
        public var added: UiMessage?
        public var error: UiMessage?
        public init(busy: Bool = false, added: UiMessage? = nil, error: UiMessage? = nil) {
            self.busy = busy; self.added = added; self.error = error
        }
    }

    public let screen = ScreenState(Screen())
    private let client: HcClient

    public init(client: HcClient) { self.client = client }

    /// The fields as typed: the core reads the serial and label code as printed on the label.
    public func add(serial: String, labelCode: String, name: String?) async {
        screen.set(Screen(busy: true))
        do {
            let device = try await client.addDevice(serial: serial, labelCode: labelCode, name: name)
            screen.set(Screen(added: UiMessage(.deviceAdded, device.serial)))
        } catch {
            screen.set(Screen(error: uiMessage(of: error)))
        }
    }
}

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

/// Login, registration and logging out.
public final class LoginModel: @unchecked Sendable {
    public typealias Screen = AccountScreen

    public let screen: ScreenState<Screen>
    private let client: HcClient

    public init(client: HcClient) {
        self.client = client
        screen = ScreenState(accountIdle(loggedIn: client.isLoggedIn()))
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
            return nil
        }
    }

    public func logout() async {
        try? await client.logout()  // the session is gone locally either way
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

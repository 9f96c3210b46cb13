import Foundation
import XCTest
@testable import HcCore

/// The platform services the app hands to the core: secure storage and logging, in Swift.
final class ForeignTraitsTests: XCTestCase {
    func testSessionLivesInTheSecureStoreAndSurvivesARestart() async throws {
        let account = try await Rig.newAccount()
        XCTAssertFalse(account.store.entries.isEmpty, "the tokens are in the secure store")
        XCTAssertFalse(account.store.entries.values.contains { $0.contains(account.password) }, "no password is stored")

        // The app restarts: a new client on the same store is logged in without a password.
        let restarted = try Rig.client(store: account.store)
        XCTAssertTrue(restarted.isLoggedIn())
        let devices = try await restarted.devices(forceRefresh: true)
        XCTAssertTrue(devices.devices.isEmpty)

        try await restarted.logout()
        XCTAssertFalse(restarted.isLoggedIn())
        XCTAssertFalse(try Rig.client(store: account.store).isLoggedIn(), "logout clears the stored session")
        do {
            _ = try await restarted.devices(forceRefresh: true)
            XCTFail("devices after logout")
        } catch HcError.NotLoggedIn {}
    }

    func testFailingSecureStoreIsAStorageError() async throws {
        let store = MemoryStore()
        let account = try await Rig.newAccount(store: store)
        store.failing = true
        do {
            try await Rig.client(store: store).login(email: account.email, password: account.password)
            XCTFail("login with a failing store")
        } catch HcError.Storage(let detail) {
            XCTAssertTrue(detail.contains("keychain locked"), detail)
        }
    }

    func testCoreLogsThroughThePlatformLoggerWithoutSecrets() async throws {
        let account = try await Rig.newAccount()
        _ = try await account.client.devices(forceRefresh: true)
        let lines = Rig.logger.snapshot()
        XCTAssertTrue(lines.contains { $0.target.hasPrefix("hc_core") }, "core log lines reach Swift")
        var secrets = [account.password]
        for value in account.store.entries.values {
            if let json = try? JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String: Any] {
                secrets += ["access_token", "refresh_token"].compactMap { json[$0] as? String }
            }
        }
        for line in lines {
            for secret in secrets {
                XCTAssertFalse(line.message.contains(secret), "a secret in the log: \(line.target) \(line.message)")
            }
        }
    }

    func testWrongPasswordIsATypedServerError() async throws {
        let account = try await Rig.newAccount()
        do {
            try await Rig.client().login(email: account.email, password: "wrong-password-123")
            XCTFail("logged in with a wrong password")
        } catch HcError.Server(let status, let code, _) {
            XCTAssertEqual(status, 401)
            XCTAssertEqual(code, .invalidCredentials)
        }
    }
}

import Foundation
import HcCore
import HcPresentation
import os
import Security
import UIKit

/// A screen model's state as an `ObservableObject` for SwiftUI: changes arrive on any thread (core
/// threads for reset states) and are republished on the main actor.
@MainActor
final class Observed<Value>: ObservableObject {
    @Published private(set) var value: Value
    private var token: ObservationToken?

    init(_ state: ScreenState<Value>) {
        value = state.value
        token = state.observe { [weak self] value in
            Task { @MainActor in self?.value = value }
        }
    }

    deinit { token?.cancel() }
}

/// The words of `key` in Localizable.strings (en, zh-Hans), arguments as `%n$@`.
func localized(_ key: String, _ args: [String] = []) -> String {
    String(format: NSLocalizedString(key, comment: ""), arguments: args.map { $0 as NSString })
}

extension UiMessage {
    /// The localized text of the core's message.
    var text: String { localized(id.key, args) }
}

/// One short buzz when the verification code appears; the screen model decides when.
struct FeedbackHaptics: Haptics {
    func codeAppeared() {
        DispatchQueue.main.async { UINotificationFeedbackGenerator().notificationOccurred(.success) }
    }
}

/// The core's log lines in the unified log (they never carry tokens, passwords or label codes).
final class OSLogLogger: HcCore.Logger, @unchecked Sendable {
    private let osLog = os.Logger(subsystem: "org.hc.app", category: "core")

    func log(level: LogLevel, target: String, message: String) {
        switch level {
        case .error: osLog.error("\(target, privacy: .public): \(message, privacy: .public)")
        case .warn: osLog.warning("\(target, privacy: .public): \(message, privacy: .public)")
        case .info: osLog.info("\(target, privacy: .public): \(message, privacy: .public)")
        case .debug, .trace: osLog.debug("\(target, privacy: .public): \(message, privacy: .public)")
        }
    }
}

/// The core's `SecureStore` on iOS: generic-password Keychain items of this app, readable after the
/// first unlock (so a session restore works from background refresh) and never synced or backed up
/// to another device.
final class KeychainSecureStore: SecureStore, @unchecked Sendable {
    private let service = "org.hc.app.secure-store"

    private func query(_ key: String) -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword,
         kSecAttrService as String: service,
         kSecAttrAccount as String: key]
    }

    private func failure(_ what: String, _ status: OSStatus) -> StoreError {
        .Failed(detail: "\(what): OSStatus \(status)")
    }

    func get(key: String) throws -> String? {
        var q = query(key)
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let data = item as? Data else { throw failure("get", status) }
            return String(decoding: data, as: UTF8.self)
        case errSecItemNotFound:
            return nil
        default:
            throw failure("get", status)
        }
    }

    func set(key: String, value: String) throws {
        let data = Data(value.utf8)
        let update = SecItemUpdate(query(key) as CFDictionary, [kSecValueData as String: data] as CFDictionary)
        if update == errSecSuccess { return }
        guard update == errSecItemNotFound else { throw failure("update", update) }
        var add = query(key)
        add[kSecValueData as String] = data
        add[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(add as CFDictionary, nil)
        guard status == errSecSuccess else { throw failure("add", status) }
    }

    func delete(key: String) throws {
        let status = SecItemDelete(query(key) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else { throw failure("delete", status) }
    }
}

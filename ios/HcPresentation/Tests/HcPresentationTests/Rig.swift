import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
import HcCore
import HcTestKit
@testable import HcPresentation

// The shared Swift test kit (ios/TestKit), under the names these tests use.
typealias MemoryStore = HcTestKit.MemoryStore
typealias TestDevice = HcTestKit.TestDevice
typealias TestFailure = HcTestKit.TestFailure

/// The servers ios/scripts/test-presentation.sh started (through the bindings harness): one hc-cloud
/// and one nvr-sim per test device, on 127.0.0.1.
enum Rig {
    static func env(_ name: String) -> String { TestEnv.env(name) }

    private static let initialized: Bool = { HcCore.`init`(logger: nil); return true }()

    static func client(store: MemoryStore = MemoryStore(), cloudUrl: String = Rig.env("HC_TEST_CLOUD_URL")) throws -> HcClient {
        _ = initialized
        return try HcClient(config: ClientConfig(cloudUrl: cloudUrl, extraRootCaPem: nil, requestTimeoutMs: 5_000,
                                                 deviceListMaxAgeSecs: 300), store: store)
    }

    typealias Account = HcTestKit.Account

    static func newAccount() async throws -> Account {
        let store = MemoryStore()
        return try await registeredAccount(client: client(store: store), store: store, prefix: "ui")
    }
}

/// A message as the core gives it.
func msg(_ id: MessageId, _ args: CustomStringConvertible...) -> UiMessage {
    UiMessage(id: id, args: args.map { $0.description })
}

/// A clock on whole seconds that the test sets.
final class FakeClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64
    init(_ now: Int64 = Int64(Date().timeIntervalSince1970)) { self.now = now }
    func nowMillis() -> Int64 { lock.withLock { now } * 1000 }
    func set(_ unix: Int64) { lock.withLock { now = unix } }
}

/// Counts the vibrations the model asks for.
final class CountingHaptics: Haptics, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var vibrations: Int { lock.withLock { count } }
    func codeAppeared() { lock.withLock { count += 1 } }
}

/// What the capture delegate hands the model: plane 0 (Y) of a `420f` pixel buffer, rows padded to
/// the buffer's bytes-per-row, from a sensor mounted so that the frame needs `rotation` clockwise.
func cameraFrame(modules: QrModules, rotation: UInt32 = 90, width: Int = 640, height: Int = 480, scale: Int = 6) -> Frame {
    modules.frame(format: .luma8, rotation: rotation, width: width, height: height, scale: scale, padding: 64)
}

extension ScreenState {
    /// The first value matching `predicate`, or a test failure.
    func waitFor(timeout: Double = 30,
               _ predicate: @escaping (Value) -> Bool) async throws -> Value {
        guard let value = await first(timeout: timeout, where: predicate) else {
            throw TestFailure("no matching screen in \(timeout) s; last \(self.value)")
        }
        return value
    }
}

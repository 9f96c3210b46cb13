import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import HcCore
import HcTestKit

// The shared Swift test kit (ios/TestKit), under the names these tests use.
typealias MemoryStore = HcTestKit.MemoryStore
typealias RecordingLogger = HcTestKit.RecordingLogger
typealias TestDevice = HcTestKit.TestDevice
typealias TestFailure = HcTestKit.TestFailure
typealias QrModules = HcTestKit.QrModules
typealias Mail = HcTestKit.Mail

/// The servers the test script (bindings/scripts/test-swift.sh) started for this run: one hc-cloud and
/// one simulated NVR per test device, provisioned and unbound. Everything is on 127.0.0.1.
enum Rig {
    static func env(_ name: String) -> String { TestEnv.env(name) }

    static var cloudUrl: String { TestEnv.cloudUrl }
    static var nvrPassword: String { TestEnv.nvrPassword }
    static let deviceA = TestDevice(id: "A")
    static let deviceB = TestDevice(id: "B")
    static let deviceC = TestDevice(id: "C")
    static let deviceD = TestDevice(id: "D")
    static let deviceE = TestDevice(id: "E")
    static let deviceF = TestDevice(id: "F")
    static let deviceG = TestDevice(id: "G")
    static let deviceH = TestDevice(id: "H")

    /// The core's logger for the whole run; `initialize` runs `init(logger:)` once.
    static let logger = RecordingLogger()
    private static let initialized: Bool = {
        HcCore.`init`(logger: logger)
        return true
    }()
    static func initialize() { _ = initialized }

    static func config(cloudUrl: String = Rig.cloudUrl, requestTimeoutMs: UInt64 = 10_000,
                       deviceListMaxAgeSecs: UInt64 = 300) -> ClientConfig {
        ClientConfig(cloudUrl: cloudUrl, extraRootCaPem: nil, requestTimeoutMs: requestTimeoutMs,
                     deviceListMaxAgeSecs: deviceListMaxAgeSecs)
    }

    static func client(store: MemoryStore = MemoryStore(), config: ClientConfig = Rig.config()) throws -> HcClient {
        initialize()
        return try HcClient(config: config, store: store)
    }

    typealias Account = HcTestKit.Account

    /// A new account, registered and logged in on a new client.
    static func newAccount(store: MemoryStore = MemoryStore()) async throws -> Account {
        try await registeredAccount(client: client(store: store), store: store)
    }
}

/// The listener of a ResetFlow as an `AsyncStream` of states, the way a SwiftUI view model consumes
/// it. `history` keeps every state in the order the core pushed them.
final class FlowStates: ResetFlowListener, @unchecked Sendable {
    let stream: AsyncStream<ResetState>
    private let continuation: AsyncStream<ResetState>.Continuation
    private let lock = NSLock()
    private var _history: [ResetState] = []

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: ResetState.self, bufferingPolicy: .unbounded)
    }

    func onState(state: ResetState) {
        lock.withLock { _history.append(state) }
        continuation.yield(state)
    }

    var history: [ResetState] { lock.withLock { _history } }

    /// The next state from the stream that matches, or a failure after `timeout` seconds.
    func next(timeout: Double = 30, where predicate: @escaping @Sendable (ResetState) -> Bool) async throws -> ResetState {
        let stream = self.stream
        let found = try await withThrowingTaskGroup(of: ResetState?.self) { group in
            group.addTask {
                for await state in stream where predicate(state) { return state }
                return nil
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let state = found else { throw TestFailure("no matching state in \(timeout) s; history \(history)") }
        return state
    }
}

@Sendable func isFinal(_ state: ResetState) -> Bool {
    switch state {
    case .codeReady, .failed: return true
    default: return false
    }
}

extension TestDevice {
    /// Bound to a throwaway account if nobody added it yet, then showing its Hik-Connect QR code.
    func showingQr() async throws -> String {
        if try await !isBound() {
            _ = try await Rig.newAccount().client.addDevice(serial: serial, labelCode: labelCode, name: nil)
            guard try await sync() else { throw TestFailure("\(serial) not bound after sync") }
        }
        return try await startHikConnect()
    }
}

/// A "cloud" on 127.0.0.1 that accepts connections and never answers.
final class SilentServer: @unchecked Sendable {
    private let fd: Int32
    let port: UInt16
    private let lock = NSLock()
    private var accepted: [Int32] = []
    private var closed = false
    var url: String { "http://127.0.0.1:\(port)" }
    var connections: Int { lock.withLock { accepted.count } }

    init() throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(sock, 16) == 0 else { throw TestFailure("cannot listen") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) }
        }
        fd = sock
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                lock.withLock { accepted.append(client) }
            }
        }
        thread.start()
    }

    func close() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            shutdown(fd, Int32(SHUT_RDWR))
            _ = Glibc.close(fd)
            for client in accepted { _ = Glibc.close(client) }
        }
    }

    deinit { close() }
}

/// Elapsed seconds of `body`.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = Date()
    let value = try await body()
    return (value, Date().timeIntervalSince(start))
}

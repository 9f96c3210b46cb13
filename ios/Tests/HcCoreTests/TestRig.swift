import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import HcCore

/// The servers the test script (bindings/scripts/test-swift.sh) started for this run: one hc-cloud and
/// one simulated NVR per test device, provisioned and unbound. Everything is on 127.0.0.1.
enum Rig {
    static func env(_ name: String) -> String {
        guard let value = ProcessInfo.processInfo.environment[name] else {
            fatalError("\(name) is not set: run the tests through bindings/scripts/test-swift.sh")
        }
        return value
    }

    static var cloudUrl: String { env("HC_TEST_CLOUD_URL") }
    static var nvrPassword: String { env("HC_TEST_NVR_PASSWORD") }
    static let deviceA = TestDevice(id: "A")
    static let deviceB = TestDevice(id: "B")
    static let deviceC = TestDevice(id: "C")
    static let deviceD = TestDevice(id: "D")
    static let deviceE = TestDevice(id: "E")

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

    struct Account {
        let email: String
        let password: String
        let client: HcClient
        let store: MemoryStore
    }

    /// A new account, registered and logged in on a new client.
    static func newAccount(store: MemoryStore = MemoryStore()) async throws -> Account {
        let email = "user-\(UUID().uuidString.lowercased())@example.test"
        let password = "Correct-Horse-\(UUID().uuidString.prefix(8))"
        let client = try client(store: store)
        try await client.register(email: email, password: password)
        try await client.login(email: email, password: password)
        return Account(email: email, password: password, client: client, store: store)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The platform's secure storage, in memory; can be made to fail.
final class MemoryStore: SecureStore, @unchecked Sendable {
    private let lock = NSLock()
    private var _entries: [String: String] = [:]
    private var _failing = false

    var entries: [String: String] { lock.withLock { _entries } }
    var failing: Bool {
        get { lock.withLock { _failing } }
        set { lock.withLock { _failing = newValue } }
    }

    private func check() throws {
        if failing { throw StoreError.Failed(detail: "keychain locked") }
    }
    func get(key: String) throws -> String? { try check(); return lock.withLock { _entries[key] } }
    func set(key: String, value: String) throws { try check(); lock.withLock { _entries[key] = value } }
    func delete(key: String) throws { try check(); _ = lock.withLock { _entries.removeValue(forKey: key) } }
}

/// The platform's logger (os_log in the app): keeps every line.
final class RecordingLogger: Logger, @unchecked Sendable {
    struct Line { let level: LogLevel; let target: String; let message: String }
    private let lock = NSLock()
    private var lines: [Line] = []
    func log(level: LogLevel, target: String, message: String) {
        lock.withLock { lines.append(Line(level: level, target: target, message: message)) }
    }
    func snapshot() -> [Line] { lock.withLock { lines } }
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

/// A provisioned device and its simulated NVR (JSON API under /api/).
final class TestDevice: @unchecked Sendable {
    let serial: String, model: String, labelCode: String, nvrUrl: String

    init(id: String) {
        serial = Rig.env("HC_TEST_DEVICE_\(id)_SERIAL")
        model = Rig.env("HC_TEST_DEVICE_\(id)_MODEL")
        labelCode = Rig.env("HC_TEST_DEVICE_\(id)_LABEL_CODE")
        nvrUrl = Rig.env("HC_TEST_DEVICE_\(id)_NVR_URL")
    }

    struct Answer: CustomStringConvertible {
        let status: Int
        let data: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }
        var description: String { "HTTP \(status) \(String(decoding: data, as: UTF8.self))" }
    }

    func call(_ method: String, _ path: String, json: [String: Any]? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: nvrUrl + path)!)
        request.httpMethod = method
        request.timeoutInterval = 20
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "content-type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Answer(status: (response as! HTTPURLResponse).statusCode, data: data)
    }

    func api(_ method: String, _ path: String, json: [String: Any]? = nil) async throws -> Answer {
        try await call(method, "/api" + path, json: json)
    }

    /// The NVR talks to the cloud for a moment and learns whether it is bound.
    func sync() async throws -> Bool {
        let answer = try await api("POST", "/sync")
        guard answer.status == 200, let bound = answer.json["bound"] as? Bool else { throw TestFailure("sync: \(answer)") }
        return bound
    }

    func isBound() async throws -> Bool { (try await api("GET", "/status").json["bound"] as? Bool) ?? false }

    /// Login menu > Forget Password > Verify by Hik-Connect: the QR text the NVR shows.
    func startHikConnect() async throws -> String {
        let answer = try await api("POST", "/forget-password/hik-connect")
        guard answer.status == 200, let qr = answer.json["qr"] as? String else { throw TestFailure("start: \(answer)") }
        return qr
    }

    /// The QR code as the NVR renders it (PNG).
    func qrPng() async throws -> Data {
        let answer = try await api("GET", "/qr.png")
        guard answer.status == 200 else { throw TestFailure("qr.png: \(answer.status)") }
        return answer.data
    }

    /// The QR code's modules, read from the NVR's SVG rendering (quiet zone included).
    func qrModules() async throws -> QrModules {
        let answer = try await api("GET", "/qr.svg")
        guard answer.status == 200 else { throw TestFailure("qr.svg: \(answer.status)") }
        return try QrModules(svg: String(decoding: answer.data, as: UTF8.self))
    }

    func verify(code: String) async throws -> Answer {
        try await api("POST", "/forget-password/verify", json: ["code": code])
    }

    func newPassword(resetToken: String, password: String) async throws -> Answer {
        try await api("POST", "/forget-password/new-password", json: ["reset_token": resetToken, "password": password])
    }

    func login(password: String, user: String = "admin") async throws -> Answer {
        try await api("POST", "/login", json: ["user": user, "password": password])
    }

    /// Bound to a throwaway account if nobody added it yet, then showing its Hik-Connect QR code.
    func showingQr() async throws -> String {
        if try await !isBound() {
            _ = try await Rig.newAccount().client.addDevice(serial: serial, labelCode: labelCode, name: nil)
            guard try await sync() else { throw TestFailure("\(serial) not bound after sync") }
        }
        return try await startHikConnect()
    }
}

/// A QR symbol as a grid of dark modules, and camera-like frames of it: the symbol on a grey
/// background, in the pixel layouts cameras deliver, with padded rows and the sensor's rotation.
struct QrModules {
    let side: Int
    let dark: [[Bool]]

    /// Parses the NVR's SVG: `viewBox="0 0 N N"` and one `M{x} {y}h1v1h-1z` per dark module.
    init(svg: String) throws {
        guard let box = svg.range(of: "viewBox=\"0 0 "),
              let side = Int(svg[box.upperBound...].prefix { $0.isNumber }),
              let d = svg.range(of: " d=\"") else { throw TestFailure("unexpected SVG") }
        var dark = Array(repeating: Array(repeating: false, count: side), count: side)
        let path = svg[d.upperBound...].prefix { $0 != "\"" }
        for command in path.split(separator: "M") {
            let numbers = command.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            guard numbers.count == 2, numbers[0] < side, numbers[1] < side else { throw TestFailure("bad path \(command)") }
            dark[numbers[1]][numbers[0]] = true
        }
        self.side = side
        self.dark = dark
    }

    /// The upright scene as luma: the symbol at `scale` pixels a module, a third from the left.
    private func scene(width: Int, height: Int, scale: Int) -> [[UInt8]] {
        let size = side * scale
        let left = (width - size) / 3, top = (height - size) / 2
        return (0..<height).map { y in
            (0..<width).map { x in
                let mx = x - left, my = y - top
                guard mx >= 0, my >= 0, mx < size, my < size else { return 160 }
                return dark[my / scale][mx / scale] ? 30 : 210   // a monitor filmed by a phone
            }
        }
    }

    /// The frame a sensor delivers when it needs `rotation` degrees clockwise to be upright.
    private static func sensor(_ scene: [[UInt8]], rotation: UInt32) -> [[UInt8]] {
        let h = scene.count, w = scene[0].count
        switch rotation {
        case 0: return scene
        case 90: return (0..<w).map { y in (0..<h).map { x in scene[h - 1 - x][y] } }
        case 180: return (0..<h).map { y in (0..<w).map { x in scene[h - 1 - y][w - 1 - x] } }
        case 270: return (0..<w).map { y in (0..<h).map { x in scene[x][w - 1 - y] } }
        default: fatalError("rotation \(rotation)")
        }
    }

    func frame(format: FrameFormat, rotation: UInt32 = 0, width: Int = 640, height: Int = 480,
               scale: Int = 7, padding: Int = 16) -> Frame {
        let luma = Self.sensor(scene(width: width, height: height, scale: scale), rotation: rotation)
        let fh = luma.count, fw = luma[0].count
        let bpp = (format == .bgra8 || format == .rgba8) ? 4 : 1
        let stride = fw * bpp + padding
        let yuv = format == .nv21 || format == .nv12
        let rows = yuv ? fh + (fh + 1) / 2 : fh
        var bytes = [UInt8](repeating: 0x55, count: stride * rows)
        for y in 0..<fh {
            for x in 0..<fw {
                let v = luma[y][x]
                if bpp == 1 {
                    bytes[y * stride + x] = v
                } else {
                    let o = y * stride + x * 4
                    bytes[o] = v; bytes[o + 1] = v; bytes[o + 2] = v; bytes[o + 3] = 0xff
                }
            }
        }
        if yuv { for y in fh..<rows { for x in 0..<fw { bytes[y * stride + x] = 128 } } }
        return Frame(width: UInt32(fw), height: UInt32(fh), rowStride: UInt32(stride), format: format,
                     bytes: Data(bytes), rotationDegrees: rotation)
    }

    static func empty(width: Int = 640, height: Int = 480) -> Frame {
        Frame(width: UInt32(width), height: UInt32(height), rowStride: UInt32(width), format: .luma8,
              bytes: Data(repeating: 160, count: width * height), rotationDegrees: 0)
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

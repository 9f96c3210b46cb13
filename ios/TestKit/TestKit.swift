// The Swift test kit, one source for the binding tests (ios/Tests/HcCoreTests) and the presentation
// tests (ios/HcPresentation/Tests): the servers' environment, the in-memory secure store, the NVR's
// JSON API client and camera-like frames of its QR code. A SwiftPM target of ios/Package.swift
// (`HcTestKit`, a dependency of test targets only); bindings/scripts/test-swift.sh and
// ios/scripts/test-presentation.sh start the servers (bindings/scripts/lib/servers.sh) that set HC_TEST_*.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HcCore

public enum TestEnv {
    public static func env(_ name: String) -> String {
        guard let value = ProcessInfo.processInfo.environment[name] else {
            fatalError("\(name) is not set: run the tests through bindings/scripts/test-swift.sh or ios/scripts/test-presentation.sh")
        }
        return value
    }

    public static var cloudUrl: String { env("HC_TEST_CLOUD_URL") }
    public static var nvrPassword: String { env("HC_TEST_NVR_PASSWORD") }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An account registered and logged in on `client`, whose tokens live in `store`.
public struct Account {
    public let email: String
    public let password: String
    public let client: HcClient
    public let store: MemoryStore
}

/// Registers a fresh account (`<prefix>-<uuid>@example.test`) on `client`, logs it in and verifies
/// its address with the mailed code (`Mail.code`): an account that can add devices, as most tests
/// need. `verified` false: the account as registration leaves it.
public func registeredAccount(client: HcClient, store: MemoryStore, prefix: String = "user",
                              verified: Bool = true) async throws -> Account {
    let email = "\(prefix)-\(UUID().uuidString.lowercased())@example.test"
    let password = "Correct-Horse-\(UUID().uuidString.prefix(8))"
    try await client.register(email: email, password: password, passwordAgain: password)
    if verified { _ = try await client.verifyEmail(code: try await Mail.code(to: email)) }
    return Account(email: email, password: password, client: client, store: store)
}

/// The mail the cloud sends. Without an SMTP relay (as in the tests) it writes each mail as an
/// RFC 5322 file `<unix_ms>-<outbox id>.eml` to its mail folder, HC_TEST_MAIL_DIR; the plain-text
/// part has the 6-digit code alone on a line.
public enum Mail {
    public static var dir: URL { URL(fileURLWithPath: TestEnv.env("HC_TEST_MAIL_DIR")) }

    /// Milliseconds since the epoch, as the mail files are named.
    public static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// The code of the newest mail to `to` written at or after `sinceMs` (unix ms; the cloud writes
    /// a mail moments after the request that asks for it), waiting up to `timeout` seconds for one.
    public static func code(to: String, sinceMs: Int64 = 0, timeout: Double = 20) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let mail = newest(to: to, sinceMs: sinceMs) {
                guard let code = codeIn(mail.text) else { throw TestFailure("no code on a line of its own in \(mail.name)") }
                return code
            }
            guard Date() < deadline else { throw TestFailure("no mail to \(to) in \(dir.path) after \(timeout) s") }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    private static func newest(to: String, sinceMs: Int64) -> (name: String, text: String)? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        var best: (ms: Int64, id: Int64, name: String, text: String)?
        for name in names where name.hasSuffix(".eml") && !name.hasPrefix(".") {
            let parts = name.dropLast(4).split(separator: "-")
            guard parts.count == 2, let ms = Int64(parts[0]), let id = Int64(parts[1]), ms >= sinceMs else { continue }
            guard let text = try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8),
                  isTo(text, to) else { continue }
            if best == nil || (ms, id) > (best!.ms, best!.id) { best = (ms, id, name, text) }
        }
        return best.map { (name: $0.name, text: $0.text) }
    }

    /// The `To:` header (unfolded) names `address`.
    private static func isTo(_ mail: String, _ address: String) -> Bool {
        let unix = mail.replacingOccurrences(of: "\r\n", with: "\n")
        let head = unix.components(separatedBy: "\n\n").first ?? ""
        let headers = head.replacingOccurrences(of: "\n ", with: " ").replacingOccurrences(of: "\n\t", with: " ")
        return headers.split(separator: "\n").contains {
            $0.lowercased().hasPrefix("to:") && $0.lowercased().contains(address.lowercased())
        }
    }

    private static func codeIn(_ mail: String) -> String? {
        mail.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
            .first { $0.count == 6 && $0.allSatisfy { ("0"..."9").contains($0) } }
    }
}

/// The platform's secure storage, in memory; can be made to fail.
public final class MemoryStore: SecureStore, @unchecked Sendable {
    private let lock = NSLock()
    private var _entries: [String: String] = [:]
    private var _failing = false

    public init() {}

    /// This phone's Keychain with its cloud moved from `from` to `to` (an address where nothing
    /// answers): the saved session is the cloud's own, and the cloud is out of reach.
    public func withCloudAt(_ from: String, _ to: String) -> MemoryStore {
        var origin = from
        while origin.hasSuffix("/") { origin.removeLast() }
        let copy = MemoryStore()
        copy.lock.withLock { copy._entries = entries.mapValues { $0.replacingOccurrences(of: origin, with: to) } }
        return copy
    }

    public var entries: [String: String] { lock.withLock { _entries } }
    public var failing: Bool {
        get { lock.withLock { _failing } }
        set { lock.withLock { _failing = newValue } }
    }

    private func check() throws {
        if failing { throw StoreError.Failed(detail: "keychain locked") }
    }
    public func get(key: String) throws -> String? { try check(); return lock.withLock { _entries[key] } }
    public func set(key: String, value: String) throws { try check(); lock.withLock { _entries[key] = value } }
    public func delete(key: String) throws { try check(); _ = lock.withLock { _entries.removeValue(forKey: key) } }
}

/// The platform's logger (os_log in the app): keeps every line.
public final class RecordingLogger: Logger, @unchecked Sendable {
    public struct Line { public let level: LogLevel; public let target: String; public let message: String }
    private let lock = NSLock()
    private var lines: [Line] = []
    public init() {}
    public func log(level: LogLevel, target: String, message: String) {
        lock.withLock { lines.append(Line(level: level, target: target, message: message)) }
    }
    public func snapshot() -> [Line] { lock.withLock { lines } }
}

/// A provisioned device and its simulated NVR (JSON API under /api/).
public final class TestDevice: @unchecked Sendable {
    public let serial: String, model: String, labelCode: String, nvrUrl: String

    /// Test device `id` (A, B, ...) of the servers the script started.
    public init(id: String) {
        serial = TestEnv.env("HC_TEST_DEVICE_\(id)_SERIAL")
        model = TestEnv.env("HC_TEST_DEVICE_\(id)_MODEL")
        labelCode = TestEnv.env("HC_TEST_DEVICE_\(id)_LABEL_CODE")
        nvrUrl = TestEnv.env("HC_TEST_DEVICE_\(id)_NVR_URL")
    }

    public convenience init(_ id: String) { self.init(id: id) }

    public struct Answer: CustomStringConvertible {
        public let status: Int
        public let data: Data
        /// The NVR did what was asked (2xx).
        public var ok: Bool { (200..<300).contains(status) }
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }
        public var description: String { "HTTP \(status) \(String(decoding: data, as: UTF8.self))" }
    }

    public func call(_ method: String, _ path: String, json: [String: Any]? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: nvrUrl + path)!)
        request.httpMethod = method
        request.timeoutInterval = 20
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "content-type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TestFailure("\(method) \(path): not HTTP") }
        return Answer(status: http.statusCode, data: data)
    }

    public func api(_ method: String, _ path: String, json: [String: Any]? = nil) async throws -> Answer {
        try await call(method, "/api" + path, json: json)
    }

    /// The NVR talks to the cloud for a moment and learns whether it is bound.
    public func sync() async throws -> Bool {
        let answer = try await api("POST", "/sync")
        guard answer.status == 200, let bound = answer.json["bound"] as? Bool else { throw TestFailure("sync: \(answer)") }
        return bound
    }

    public func isBound() async throws -> Bool { (try await api("GET", "/status").json["bound"] as? Bool) ?? false }

    /// Login menu > Forget Password > Verify by Hik-Connect: the QR text the NVR shows.
    @discardableResult
    public func startHikConnect() async throws -> String {
        let answer = try await api("POST", "/forget-password/hik-connect")
        guard answer.status == 200, let qr = answer.json["qr"] as? String else { throw TestFailure("start: \(answer)") }
        return qr
    }

    /// The QR code as the NVR renders it (PNG).
    public func qrPng() async throws -> Data {
        let answer = try await api("GET", "/qr.png")
        guard answer.status == 200 else { throw TestFailure("qr.png: \(answer.status)") }
        return answer.data
    }

    /// The QR code's modules, read from the NVR's SVG rendering (quiet zone included).
    public func qrModules() async throws -> QrModules {
        let answer = try await api("GET", "/qr.svg")
        guard answer.status == 200 else { throw TestFailure("qr.svg: \(answer.status)") }
        return try QrModules(svg: String(decoding: answer.data, as: UTF8.self))
    }

    public func verify(code: String) async throws -> Answer {
        try await api("POST", "/forget-password/verify", json: ["code": code])
    }

    public func newPassword(resetToken: String, password: String) async throws -> Answer {
        try await api("POST", "/forget-password/new-password", json: ["reset_token": resetToken, "password": password])
    }

    public func login(password: String, user: String = "admin") async throws -> Answer {
        try await api("POST", "/login", json: ["user": user, "password": password])
    }
}

/// A QR symbol as a grid of dark modules, and camera-like frames of it: the symbol on a grey
/// background, in the pixel layouts cameras deliver, with padded rows and the sensor's rotation.
public struct QrModules {
    public let side: Int
    public let dark: [[Bool]]

    /// Parses the NVR's SVG: `viewBox="0 0 N N"` and one `M{x} {y}h1v1h-1z` per dark module.
    public init(svg: String) throws {
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

    public func frame(format: FrameFormat, rotation: UInt32 = 0, width: Int = 640, height: Int = 480,
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

    public static func empty(width: Int = 640, height: Int = 480) -> Frame {
        Frame(width: UInt32(width), height: UInt32(height), rowStride: UInt32(width), format: .luma8,
              bytes: Data(repeating: 160, count: width * height), rotationDegrees: 0)
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
import HcCore
@testable import HcPresentation

/// The servers ios/scripts/test-presentation.sh started (through the bindings harness): one hc-cloud
/// and one nvr-sim per test device, on 127.0.0.1.
enum Rig {
    static func env(_ name: String) -> String {
        guard let value = ProcessInfo.processInfo.environment[name] else {
            fatalError("\(name) is not set: run the tests through ios/scripts/test-presentation.sh")
        }
        return value
    }

    private static let initialized: Bool = { HcCore.`init`(logger: nil); return true }()

    static func client(store: MemoryStore = MemoryStore(), cloudUrl: String = Rig.env("HC_TEST_CLOUD_URL")) throws -> HcClient {
        _ = initialized
        return try HcClient(config: ClientConfig(cloudUrl: cloudUrl, extraRootCaPem: nil, requestTimeoutMs: 5_000,
                                                 deviceListMaxAgeSecs: 300), store: store)
    }

    struct Account { let email: String; let password: String; let client: HcClient; let store: MemoryStore }

    static func newAccount() async throws -> Account {
        let store = MemoryStore()
        let email = "ui-\(UUID().uuidString.lowercased())@example.test"
        let password = "Correct-Horse-\(UUID().uuidString.prefix(8))"
        let client = try client(store: store)
        try await client.register(email: email, password: password)
        try await client.login(email: email, password: password)
        return Account(email: email, password: password, client: client, store: store)
    }
}

/// A message as the core gives it.
func msg(_ id: MessageId, _ args: CustomStringConvertible...) -> UiMessage {
    UiMessage(id: id, args: args.map { $0.description })
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

final class MemoryStore: SecureStore, @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: String] = [:]
    func get(key: String) throws -> String? { lock.withLock { entries[key] } }
    func set(key: String, value: String) throws { lock.withLock { entries[key] = value } }
    func delete(key: String) throws { _ = lock.withLock { entries.removeValue(forKey: key) } }
}

final class FakeClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64
    init(_ now: Int64 = Int64(Date().timeIntervalSince1970)) { self.now = now }
    func nowUnix() -> Int64 { lock.withLock { now } }
    func set(_ unix: Int64) { lock.withLock { now = unix } }
}

/// A provisioned device and its simulated NVR (JSON API under /api/).
struct TestDevice {
    let serial: String, labelCode: String, nvrUrl: String

    init(_ id: String) {
        serial = Rig.env("HC_TEST_DEVICE_\(id)_SERIAL")
        labelCode = Rig.env("HC_TEST_DEVICE_\(id)_LABEL_CODE")
        nvrUrl = Rig.env("HC_TEST_DEVICE_\(id)_NVR_URL")
    }

    func call(_ method: String, _ path: String, json: [String: String]? = nil) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: nvrUrl + "/api" + path)!)
        request.httpMethod = method
        request.timeoutInterval = 20
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "content-type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, data)
    }

    private func json(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    func sync() async throws -> Bool {
        let (status, data) = try await call("POST", "/sync")
        guard status == 200 else { throw TestFailure("sync: HTTP \(status)") }
        return json(data)["bound"] as? Bool ?? false
    }

    /// Forget Password > Verify by Hik-Connect: the NVR shows its QR code.
    @discardableResult
    func startHikConnect() async throws -> String {
        let (status, data) = try await call("POST", "/forget-password/hik-connect")
        guard status == 200, let qr = json(data)["qr"] as? String else { throw TestFailure("hik-connect: HTTP \(status)") }
        return qr
    }

    func qrPng() async throws -> Data {
        let (status, data) = try await call("GET", "/qr.png")
        guard status == 200 else { throw TestFailure("qr.png: HTTP \(status)") }
        return data
    }

    /// The QR symbol's dark modules, from the NVR's SVG rendering (`viewBox="0 0 N N"`, one
    /// `M{x} {y}h1v1h-1z` per dark module).
    func qrModules() async throws -> [[Bool]] {
        let (status, data) = try await call("GET", "/qr.svg")
        let svg = String(decoding: data, as: UTF8.self)
        guard status == 200, let box = svg.range(of: "viewBox=\"0 0 "),
              let side = Int(svg[box.upperBound...].prefix { $0.isNumber }),
              let d = svg.range(of: " d=\"") else { throw TestFailure("qr.svg: HTTP \(status)") }
        var dark = Array(repeating: Array(repeating: false, count: side), count: side)
        for command in svg[d.upperBound...].prefix(while: { $0 != "\"" }).split(separator: "M") {
            let xy = command.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            if xy.count == 2, xy[0] < side, xy[1] < side { dark[xy[1]][xy[0]] = true }
        }
        return dark
    }

    func verify(code: String) async throws -> Bool { try await call("POST", "/forget-password/verify", json: ["code": code]).0 == 200 }
}

/// What the capture delegate hands the model: plane 0 (Y) of a `420f` pixel buffer, rows padded to
/// the buffer's bytes-per-row, from a sensor mounted so that the frame needs `rotation` clockwise.
func cameraFrame(modules: [[Bool]], rotation: UInt32 = 90, width: Int = 640, height: Int = 480, scale: Int = 6) -> Frame {
    let side = modules.count * scale
    let left = (width - side) / 2, top = (height - side) / 2
    func upright(_ x: Int, _ y: Int) -> UInt8 {
        let mx = (x - left) / scale, my = (y - top) / scale
        guard x >= left, y >= top, mx < modules.count, my < modules.count else { return 150 }
        return modules[my][mx] ? 40 : 205
    }
    let (fw, fh) = rotation % 180 == 0 ? (width, height) : (height, width)
    let stride = fw + 64
    var bytes = [UInt8](repeating: 0, count: stride * fh)
    for y in 0..<fh {
        for x in 0..<fw {
            let v: UInt8
            switch rotation {
            case 0: v = upright(x, y)
            case 90: v = upright(fh - 1 - y, x)
            case 180: v = upright(fw - 1 - x, fh - 1 - y)
            default: v = upright(y, fw - 1 - x)
            }
            bytes[y * stride + x] = v
        }
    }
    return Frame(width: UInt32(fw), height: UInt32(fh), rowStride: UInt32(stride), format: .luma8,
                 bytes: Data(bytes), rotationDegrees: rotation)
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

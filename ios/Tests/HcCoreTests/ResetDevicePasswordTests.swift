import Foundation
import XCTest
@testable import HcCore

/// The headline feature, end to end: phone (Swift over the core), cloud and NVR.
final class ResetDevicePasswordTests: XCTestCase {
    func testOwnerResetsTheNvrPasswordByScanningItsQrCodeWithTheCamera() async throws {
        let device = Rig.deviceA
        // Log in and add the device with the serial and label code printed on it.
        let owner = try await Rig.newAccount()
        XCTAssertTrue(owner.client.isLoggedIn())
        let empty = try await owner.client.devices(forceRefresh: true)
        XCTAssertTrue(empty.devices.isEmpty)
        XCTAssertFalse(empty.fromCache)

        // An NVR nobody added does not offer Verify by Hik-Connect.
        let refused = try await device.api("POST", "/forget-password/hik-connect")
        XCTAssertEqual(refused.status, 403)

        _ = try await owner.client.addDevice(serial: device.serial, labelCode: device.labelCode, name: "Shop NVR")
        let listed = try await owner.client.devices(forceRefresh: false).devices
        XCTAssertEqual(listed.map(\.serial), [device.serial])
        XCTAssertEqual(listed.first?.name, "Shop NVR")
        XCTAssertEqual(listed.first?.model, device.model)
        let bound = try await device.sync()
        XCTAssertTrue(bound, "the NVR learns that it is bound")

        // On the NVR: Forget Password > Verify by Hik-Connect shows a QR code.
        let qrText = try await device.startHikConnect()
        let modules = try await device.qrModules()

        // In the app: the camera (iOS: 32BGRA, upright) sends frames until the flow has a code.
        let states = FlowStates()
        let flow = owner.client.resetFlow(listener: states)
        XCTAssertEqual(flow.state(), .scanning(hint: nil))
        // Before it points at the NVR, the camera sees a blank wall: the screen says so.
        flow.submitFrame(frame: QrModules.empty())
        let wall = try await states.next { $0 == .scanning(hint: .noCode) }
        XCTAssertEqual(resetScreen(state: wall, nowUnix: 0), .scanning(hint: UiMessage(id: .scanHintNoCode, args: [])))
        let frame = modules.frame(format: .bgra8, rotation: 0)
        let camera = Task.detached {
            while !Task.isCancelled {
                flow.submitFrame(frame: frame)
                try? await Task.sleep(nanoseconds: 30_000_000)
            }
        }
        let end = try await states.next(where: isFinal)
        camera.cancel()
        guard case let .codeReady(serial, model, code, expiresAtUnix) = end else {
            return XCTFail("final state \(end); history \(states.history)")
        }
        XCTAssertEqual(serial, device.serial)
        XCTAssertEqual(model, device.model)
        XCTAssertEqual(code.count, 8)
        XCTAssertTrue(code.allSatisfy(\.isNumber))
        XCTAssertGreaterThan(expiresAtUnix, Int64(Date().timeIntervalSince1970))
        XCTAssertEqual(flow.state(), end)
        XCTAssertEqual(states.history.filter { if case .scanning = $0 { return false } else { return true } }, [
            .recognized(serial: device.serial, model: device.model),
            .requesting(serial: device.serial, model: device.model),
            end,
        ])

        // The code is a function of the challenge: asking again gives the same one.
        let again = try await owner.client.requestResetCode(qrText: qrText)
        XCTAssertEqual(again.code, code)

        // On the NVR: enter the code, set a new password, log in with it.
        let verified = try await device.verify(code: code)
        XCTAssertEqual(verified.status, 200, "\(verified)")
        let token = try XCTUnwrap(verified.json["reset_token"] as? String)
        let newPassword = "Swift-Reset-42"
        let set = try await device.newPassword(resetToken: token, password: newPassword)
        XCTAssertTrue((200..<300).contains(set.status), "\(set)")
        let loginNew = try await device.login(password: newPassword)
        XCTAssertEqual(loginNew.status, 200)
        let loginOld = try await device.login(password: Rig.nvrPassword)
        XCTAssertEqual(loginOld.status, 401)

        let audit = try await owner.client.auditEvents()
        XCTAssertTrue(audit.contains { $0.serial == device.serial })
    }
}

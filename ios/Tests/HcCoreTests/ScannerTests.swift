import Foundation
import XCTest
@testable import HcCore

/// The scanner over the pixel layouts that iOS and Android cameras deliver.
final class ScannerTests: XCTestCase {
    func testEveryCameraPixelFormatAndRotationDecodesTheNvrsQrCode() async throws {
        let text = try await Rig.deviceD.showingQr()
        let modules = try await Rig.deviceD.qrModules()
        for format in [FrameFormat.luma8, .nv21, .nv12, .bgra8, .rgba8] {
            for rotation: UInt32 in [0, 90, 180, 270] {
                let decoded = try decodeFrame(frame: modules.frame(format: format, rotation: rotation))
                XCTAssertEqual(decoded, text, "\(format) rotated \(rotation)")
            }
        }
        let png = try await Rig.deviceD.qrPng()
        XCTAssertEqual(try decodeImage(bytes: png), text)
        XCTAssertNil(try decodeFrame(frame: QrModules.empty()))
    }

    func testMalformedFramesAreErrorsNotCrashes() async throws {
        let short = Frame(width: 640, height: 480, rowStride: 640, format: .luma8, bytes: Data(count: 100), rotationDegrees: 0)
        let zero = Frame(width: 0, height: 0, rowStride: 0, format: .luma8, bytes: Data(), rotationDegrees: 0)
        let badStride = Frame(width: 640, height: 480, rowStride: 100, format: .bgra8, bytes: Data(count: 640 * 480 * 4), rotationDegrees: 0)
        for frame in [short, zero, badStride] {
            XCTAssertThrowsError(try decodeFrame(frame: frame)) { error in
                guard case HcError.InvalidFrame = error else { return XCTFail("\(error)") }
            }
        }
        // In the flow, a malformed frame fails the scan with the same typed error.
        let states = FlowStates()
        let flow = try await Rig.newAccount().client.resetFlow(listener: states)
        flow.submitFrame(frame: short)
        let end = try await states.next(where: isFinal)
        guard case .failed(.InvalidFrame) = end else { return XCTFail("\(end)") }
    }

    func testQrCodeThatIsNotAResetCodeIsATypedFailure() async throws {
        let states = FlowStates()
        let flow = try await Rig.newAccount().client.resetFlow(listener: states)
        flow.submitText(text: "https://example.com/not-a-reset-code")
        let end = try await states.next(where: isFinal)
        XCTAssertEqual(end, .failed(error: .NotAResetQr))
        flow.cancel()
        _ = try await states.next { $0 == .scanning(hint: nil) }
        flow.submitText(text: "HCR1:AAAA")
        let invalid = try await states.next(where: isFinal)
        XCTAssertEqual(invalid, .failed(error: .InvalidQr))
        // Nothing read at all is not a wrong code.
        flow.cancel()
        _ = try await states.next { $0 == .scanning(hint: nil) }
        flow.submitText(text: "")
        let nothing = try await states.next(where: isFinal)
        XCTAssertEqual(nothing, .failed(error: .NoQrFound(hint: .noCode)))
        XCTAssertEqual(errorMessage(error: .NoQrFound(hint: .noCode)), UiMessage(id: .scanHintNoCode, args: []))
        XCTAssertEqual(errorAction(error: .NoQrFound(hint: .noCode)), .scanAgain)
    }

    func testACameraInADarkRoomSaysTooDarkAndKeepsLooking() async throws {
        _ = try await Rig.deviceD.showingQr()
        let modules = try await Rig.deviceD.qrModules()
        let lit = modules.frame(format: .luma8)
        // An unlit room at a short exposure: the code one level above a sensor noise of five, a
        // frame no scanner can read (a merely dim one, squeezed to a tenth, it reads, and rightly).
        var noise: UInt32 = 7
        let bytes = lit.bytes.map { luma -> UInt8 in
            noise = noise &* 1_664_525 &+ 1_013_904_223
            return 3 + UInt8((noise >> 24) % 5) + luma / 200
        }
        let dark = Frame(width: lit.width, height: lit.height, rowStride: lit.rowStride, format: lit.format,
                         bytes: Data(bytes), rotationDegrees: lit.rotationDegrees)
        let states = FlowStates()
        let flow = try await Rig.newAccount().client.resetFlow(listener: states)
        flow.submitFrame(frame: dark)
        let scanning = try await states.next { if case .scanning(.some) = $0 { return true } else { return false } }
        XCTAssertEqual(scanning, .scanning(hint: .tooDark))
        XCTAssertEqual(resetScreen(state: scanning, nowUnix: 0), .scanning(hint: UiMessage(id: .scanHintTooDark, args: [])))
    }
}

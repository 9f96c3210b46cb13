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
        _ = try await states.next { $0 == .scanning }
        flow.submitText(text: "HCR1:AAAA")
        let invalid = try await states.next(where: isFinal)
        XCTAssertEqual(invalid, .failed(error: .InvalidQr))
    }
}

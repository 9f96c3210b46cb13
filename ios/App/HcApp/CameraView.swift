import AVFoundation
import HcCore
import HcPresentation
import SwiftUI
import UIKit

/// The back camera's preview, with a video data output that hands the luma plane of each frame to
/// the core. `alwaysDiscardsLateVideoFrames`: a slow phone drops frames here, and the core keeps only
/// the newest one it has not decoded yet.
struct CameraView: UIViewRepresentable {
    let model: ResetPasswordModel
    let torch: Bool

    func makeCoordinator() -> CameraController { CameraController(model: model) }

    func makeUIView(context: Context) -> PreviewView {
        let view = PreviewView()
        view.previewLayer.session = context.coordinator.session
        view.previewLayer.videoGravity = .resizeAspectFill
        context.coordinator.start()
        return view
    }

    func updateUIView(_ view: PreviewView, context: Context) { context.coordinator.setTorch(torch) }

    static func dismantleUIView(_ view: PreviewView, coordinator: CameraController) { coordinator.stop() }

    final class PreviewView: UIView {
        override class var layerClass: AnyClass { AVCaptureVideoPreviewLayer.self }
        var previewLayer: AVCaptureVideoPreviewLayer { layer as! AVCaptureVideoPreviewLayer }
    }
}

final class CameraController: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate, @unchecked Sendable {
    let session = AVCaptureSession()
    private let model: ResetPasswordModel
    private let queue = DispatchQueue(label: "org.hc.app.camera")
    private var device: AVCaptureDevice?
    private let lock = NSLock()
    private var rotation: UInt32 = 90
    private var orientationObserver: NSObjectProtocol?

    init(model: ResetPasswordModel) {
        self.model = model
        super.init()
        // UIDevice is main-thread API: track the orientation there, read it on the capture queue.
        DispatchQueue.main.async { [weak self] in
            UIDevice.current.beginGeneratingDeviceOrientationNotifications()
            self?.orientationObserver = NotificationCenter.default.addObserver(
                forName: UIDevice.orientationDidChangeNotification, object: nil, queue: .main
            ) { [weak self] _ in
                // Flat on a table (face up/down): keep the last upright orientation.
                guard let degrees = Self.rotation(for: UIDevice.current.orientation) else { return }
                self?.lock.withLock { self?.rotation = degrees }
            }
        }
    }

    deinit {
        if let orientationObserver { NotificationCenter.default.removeObserver(orientationObserver) }
    }

    /// Starts the capture session. The scanner shows this view only once camera access is granted.
    func start() {
        queue.async { [self] in
            guard AVCaptureDevice.authorizationStatus(for: .video) == .authorized else { return }
            if session.inputs.isEmpty { configure() } else if !session.isRunning { session.startRunning() }
        }
    }

    private func configure() {
        guard let camera = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
              let input = try? AVCaptureDeviceInput(device: camera) else { return }
        session.beginConfiguration()
        // 1280x720 is plenty for a QR code on a monitor and cheap to copy.
        if session.canSetSessionPreset(.hd1280x720) { session.sessionPreset = .hd1280x720 }
        if session.canAddInput(input) { session.addInput(input) }
        let output = AVCaptureVideoDataOutput()
        // 420f: bi-planar Y'CbCr, full range; plane 0 is the luma the core scans.
        output.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange]
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: queue)
        if session.canAddOutput(output) { session.addOutput(output) }
        session.commitConfiguration()
        device = camera
        session.startRunning()
    }

    func stop() { queue.async { self.session.stopRunning() } }

    func setTorch(_ on: Bool) {
        queue.async { [self] in
            guard let device, device.hasTorch, (try? device.lockForConfiguration()) != nil else { return }
            device.torchMode = on ? .on : .off
            device.unlockForConfiguration()
        }
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer, from connection: AVCaptureConnection) {
        guard model.wantsFrames, let pixels = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        CVPixelBufferLockBaseAddress(pixels, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixels, .readOnly) }
        guard let base = CVPixelBufferGetBaseAddressOfPlane(pixels, 0) else { return }
        let width = CVPixelBufferGetWidthOfPlane(pixels, 0)
        let height = CVPixelBufferGetHeightOfPlane(pixels, 0)
        let stride = CVPixelBufferGetBytesPerRowOfPlane(pixels, 0)
        model.submitFrame(Frame(
            width: UInt32(width), height: UInt32(height), rowStride: UInt32(stride), format: .luma8,
            bytes: Data(bytes: base, count: stride * height),
            rotationDegrees: lock.withLock { rotation }))
    }

    /// The back camera's buffers are landscape (home button right); clockwise degrees to upright.
    static func rotation(for orientation: UIDeviceOrientation) -> UInt32? {
        switch orientation {
        case .portrait: return 90
        case .portraitUpsideDown: return 270
        case .landscapeLeft: return 0
        case .landscapeRight: return 180
        default: return nil
        }
    }
}

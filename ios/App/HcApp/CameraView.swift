import AVFoundation
import HcCore
import HcPresentation
import SwiftUI
import UIKit

/// The back camera's preview, with a video data output that hands the luma plane of each frame to
/// the core. `alwaysDiscardsLateVideoFrames`: a slow phone drops frames here, and the core keeps only
/// the newest one it has not decoded yet. Pinch and tap on the preview go to the screen model, which
/// keeps the zoom within the camera's range and numbers the taps; this view hands its `viewfinder`
/// to the camera (`videoZoomFactor`, `focusPointOfInterest`).
struct CameraView: UIViewRepresentable {
    let model: ResetPasswordModel
    let torch: Bool
    let viewfinder: Viewfinder?

    func makeCoordinator() -> CameraController { CameraController(model: model) }

    func makeUIView(context: Context) -> PreviewView {
        let view = PreviewView()
        view.previewLayer.session = context.coordinator.session
        view.previewLayer.videoGravity = .resizeAspectFill
        view.addGestureRecognizer(UIPinchGestureRecognizer(
            target: context.coordinator, action: #selector(CameraController.pinched(_:))))
        view.addGestureRecognizer(UITapGestureRecognizer(
            target: context.coordinator, action: #selector(CameraController.tapped(_:))))
        context.coordinator.start()
        return view
    }

    func updateUIView(_ view: PreviewView, context: Context) {
        context.coordinator.setTorch(torch)
        if let zoom = viewfinder?.zoom { context.coordinator.setZoom(zoom) }
    }

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
    private var focusObservation: NSKeyValueObservation?
    private var focusTap: UInt32?
    private var subjectObserver: NSObjectProtocol?

    init(model: ResetPasswordModel) {
        self.model = model
        super.init()
        subjectObserver = NotificationCenter.default.addObserver(
            forName: AVCaptureDevice.subjectAreaDidChangeNotification, object: nil, queue: nil
        ) { [weak self] _ in self?.continuousFocus() }
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
        if let subjectObserver { NotificationCenter.default.removeObserver(subjectObserver) }
        focusObservation?.invalidate()
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
        // A tap's focus run is over when the camera stops adjusting: its ring goes.
        focusObservation = camera.observe(\.isAdjustingFocus, options: [.new]) { [weak self] camera, _ in
            guard let self, !camera.isAdjustingFocus else { return }
            if let tap = self.lock.withLock({ () -> UInt32? in defer { self.focusTap = nil }; return self.focusTap }) {
                self.model.focused(tap: tap)
            }
        }
        model.cameraOpened(minZoom: Float(camera.minAvailableVideoZoomFactor),
                           maxZoom: Float(camera.maxAvailableVideoZoomFactor))
        session.startRunning()
    }

    @objc func pinched(_ recognizer: UIPinchGestureRecognizer) {
        guard recognizer.state == .changed || recognizer.state == .ended else { return }
        model.pinched(Float(recognizer.scale))
        recognizer.scale = 1  // the model takes the change since the previous event
    }

    @objc func tapped(_ recognizer: UITapGestureRecognizer) {
        guard let view = recognizer.view as? CameraView.PreviewView, view.bounds.width > 0, view.bounds.height > 0 else { return }
        let at = recognizer.location(in: view)
        guard let focus = model.tapped(x: Float(at.x / view.bounds.width), y: Float(at.y / view.bounds.height)) else { return }
        // The layer maps the view's crop (resizeAspectFill) to the sensor's coordinates.
        let point = view.previewLayer.captureDevicePointConverted(
            fromLayerPoint: CGPoint(x: CGFloat(focus.x) * view.bounds.width, y: CGFloat(focus.y) * view.bounds.height))
        queue.async { [self] in
            guard let device, (try? device.lockForConfiguration()) != nil else { return }
            lock.withLock { focusTap = focus.tap }
            if device.isFocusPointOfInterestSupported, device.isFocusModeSupported(.autoFocus) {
                device.focusPointOfInterest = point
                device.focusMode = .autoFocus
            }
            if device.isExposurePointOfInterestSupported, device.isExposureModeSupported(.autoExpose) {
                device.exposurePointOfInterest = point
                device.exposureMode = .autoExpose
            }
            // Back to continuous focus once the scene changes (the phone moves on).
            device.isSubjectAreaChangeMonitoringEnabled = true
            device.unlockForConfiguration()
        }
    }

    func setZoom(_ zoom: Float) {
        queue.async { [self] in
            guard let device, device.videoZoomFactor != CGFloat(zoom), (try? device.lockForConfiguration()) != nil else { return }
            device.videoZoomFactor = CGFloat(zoom)
            device.unlockForConfiguration()
        }
    }

    func stop() { queue.async { self.session.stopRunning() } }

    /// After a tap's focus, the scene changed: focus and exposure follow the picture again.
    private func continuousFocus() {
        queue.async { [self] in
            guard let device, (try? device.lockForConfiguration()) != nil else { return }
            if device.isFocusModeSupported(.continuousAutoFocus) { device.focusMode = .continuousAutoFocus }
            if device.isExposureModeSupported(.continuousAutoExposure) { device.exposureMode = .continuousAutoExposure }
            device.isSubjectAreaChangeMonitoringEnabled = false
            device.unlockForConfiguration()
        }
    }

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

import AVFoundation
import HcCore
import HcPresentation
import PhotosUI
import SwiftUI
import UIKit

/// More > Reset Device Password: scanner, then the code (or a failure with what to do next).
struct ResetPasswordView: View {
    @StateObject private var holder: Holder
    @Environment(\.dismiss) private var dismiss

    @MainActor final class Holder: ObservableObject {
        let model: ResetPasswordModel
        let screen: Observed<ResetPasswordModel.Screen>
        init(client: HcClient) {
            model = ResetPasswordModel(client: client)
            screen = Observed(model.screen)
        }
        deinit { model.close() }
    }

    init(client: HcClient) { _holder = StateObject(wrappedValue: Holder(client: client)) }

    var body: some View {
        ResetContent(model: holder.model, screen: holder.screen, done: { dismiss() })
            .navigationTitle("reset_password_title")
            .navigationBarTitleDisplayMode(.inline)
    }
}

private struct ResetContent: View {
    let model: ResetPasswordModel
    @ObservedObject var screen: Observed<ResetPasswordModel.Screen>
    let done: () -> Void

    var body: some View {
        switch screen.value {
        case let .scanning(hint):
            ScannerView(model: model, hint: hint)
        case let .working(_, _, status):
            VStack(spacing: 16) {
                ProgressView()
                Text(status.text).multilineTextAlignment(.center)
            }
            .padding()
        case let .code(code):
            CodeView(code: code, scanAgain: model.scanAgain, done: done)
        case let .failed(_, message, action):
            FailureView(message: message, action: action, model: model)
        }
    }
}

private struct ScannerView: View {
    let model: ResetPasswordModel
    let hint: UiMessage
    @State private var torch = false
    @State private var photo: PhotosPickerItem?
    @State private var camera = AVCaptureDevice.authorizationStatus(for: .video)
    @Environment(\.openURL) private var openURL

    var body: some View {
        VStack(spacing: 0) {
            ZStack {
                if camera == .authorized {
                    CameraView(model: model, torch: torch)
                    Viewfinder()
                } else if camera != .notDetermined {
                    // Refused (or restricted): the Settings app can allow it; the photo picker works anyway.
                    VStack(spacing: 12) {
                        Text("scan_camera_permission").multilineTextAlignment(.center)
                        Button("scan_allow_camera") {
                            if let url = URL(string: UIApplication.openSettingsURLString) { openURL(url) }
                        }
                        .buttonStyle(.bordered)
                    }
                    .padding()
                }
            }
            .frame(maxWidth: .infinity, maxHeight: .infinity)
            VStack(alignment: .leading, spacing: 8) {
                Text(hint.text).font(.body)
                Text("reset_password_steps").font(.footnote).foregroundStyle(.secondary)
                HStack {
                    if camera == .authorized {
                        Toggle(isOn: $torch) { Label("scan_torch", systemImage: "flashlight.on.fill") }
                            .toggleStyle(.button)
                    }
                    // "Pick a photo": a screenshot or a photo of the device screen; one image is one attempt.
                    PhotosPicker(selection: $photo, matching: .images) { Label("scan_pick_photo", systemImage: "photo") }
                        .buttonStyle(.bordered)
                }
            }
            .padding()
        }
        .task {
            // Asked once, when the scanner first opens (Info.plist NSCameraUsageDescription says why).
            guard camera == .notDetermined else { return }
            let granted = await AVCaptureDevice.requestAccess(for: .video)
            await MainActor.run { camera = granted ? .authorized : .denied }
        }
        .onChange(of: photo) { item in
            guard let item else { return }
            Task { @MainActor in
                if let data = try? await item.loadTransferable(type: Data.self) { model.submitImage(data) }
                photo = nil
            }
        }
    }
}

/// The box to put the QR code in: the rest of the preview dimmed.
private struct Viewfinder: View {
    var body: some View {
        GeometryReader { geo in
            let side = min(geo.size.width, geo.size.height) * 0.7
            ZStack {
                Color.black.opacity(0.5)
                RoundedRectangle(cornerRadius: 16).frame(width: side, height: side).blendMode(.destinationOut)
            }
            .compositingGroup()
            .overlay(RoundedRectangle(cornerRadius: 16).stroke(.white, lineWidth: 3).frame(width: side, height: side))
        }
        .allowsHitTesting(false)
    }
}

private struct CodeView: View {
    let code: ResetPasswordModel.Code
    let scanAgain: () -> Void
    let done: () -> Void
    @State private var copied = false

    var body: some View {
        VStack(spacing: 16) {
            Text("\(code.model) · \(code.serial)").font(.headline)
            Text(code.instructions.text).multilineTextAlignment(.center)
            Text(code.groupedCode)
                .font(.system(size: 48, weight: .bold, design: .monospaced))
                .foregroundStyle(code.expired ? Color.secondary : Color.primary)
                // Read digit by digit by VoiceOver.
                .accessibilityLabel(code.code.map(String.init).joined(separator: " "))
            Text(code.countdown.text).foregroundStyle(code.expired ? Color.red : Color.secondary)
            if !code.expired {
                Button(copied ? "code_copied" : "code_copy") {
                    UIPasteboard.general.string = code.code
                    copied = true
                }
                .buttonStyle(.bordered)
            }
            Button("action_done", action: done).buttonStyle(.borderedProminent)
            Button("action_scan_again", action: scanAgain)
        }
        .padding()
    }
}

private struct FailureView: View {
    @EnvironmentObject private var app: AppModel
    let message: UiMessage
    let action: ErrorAction
    let model: ResetPasswordModel

    var body: some View {
        VStack(spacing: 16) {
            Text(message.text).multilineTextAlignment(.center)
            switch action {
            case .retry, .waitThenRetry: Button("action_retry", action: model.retry).buttonStyle(.borderedProminent)
            case .addDevice:
                NavigationLink("action_add_device") { AddDeviceView(client: app.client) }.buttonStyle(.borderedProminent)
            case .logIn: Button("action_log_in") { Task { await app.loginModel.logout() } }.buttonStyle(.borderedProminent)
            case .scanAgain, .contactOwner, .correctInput: EmptyView()
            }
            Button("action_scan_again", action: model.scanAgain)
        }
        .padding()
    }
}

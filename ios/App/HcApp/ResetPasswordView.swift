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
        let keepScreenOn: Observed<Bool>
        let viewfinder: Observed<Viewfinder?>
        init(client: HcClient) {
            model = ResetPasswordModel(client: client, haptics: FeedbackHaptics())
            screen = Observed(model.screen)
            keepScreenOn = Observed(model.keepScreenOn)
            viewfinder = Observed(model.viewfinder)
        }
        deinit { model.close() }
    }

    init(client: HcClient) { _holder = StateObject(wrappedValue: Holder(client: client)) }

    var body: some View {
        ResetContent(model: holder.model, screen: holder.screen, viewfinder: holder.viewfinder, done: { dismiss() })
            .modifier(KeepScreenOn(on: holder.keepScreenOn))
            .navigationTitle("reset_password_title")
            .navigationBarTitleDisplayMode(.inline)
    }
}

/// The display stays awake while the model says so (the scanner, the wait, a valid code).
private struct KeepScreenOn: ViewModifier {
    @ObservedObject var on: Observed<Bool>

    func body(content: Content) -> some View {
        content
            .onAppear { UIApplication.shared.isIdleTimerDisabled = on.value }
            .onChange(of: on.value) { UIApplication.shared.isIdleTimerDisabled = $0 }
            .onDisappear { UIApplication.shared.isIdleTimerDisabled = false }
    }
}

private struct ResetContent: View {
    let model: ResetPasswordModel
    @ObservedObject var screen: Observed<ResetPasswordModel.Screen>
    let viewfinder: Observed<Viewfinder?>
    let done: () -> Void

    var body: some View {
        switch screen.value {
        case let .scanning(hint):
            ScannerView(model: model, hint: hint, viewfinder: viewfinder)
        case let .working(_, _, status):
            VStack(spacing: 16) {
                ProgressView()
                Text(status.text).multilineTextAlignment(.center)
            }
            .padding()
        case let .code(code):
            CodeView(code: code, scanAgain: model.scanAgain, done: done)
        case let .failed(_, message, action):
            FailureView(message: message, action: action, hint: screen.value.hint,
                        transferSerial: screen.value.transferSerial, model: model)
        }
    }
}

private struct ScannerView: View {
    let model: ResetPasswordModel
    let hint: UiMessage
    @ObservedObject var viewfinder: Observed<Viewfinder?>
    @State private var torch = false
    @State private var typing = false
    @State private var typed = ""
    @State private var photo: PhotosPickerItem?
    @State private var camera = AVCaptureDevice.authorizationStatus(for: .video)
    @Environment(\.openURL) private var openURL

    var body: some View {
        VStack(spacing: 0) {
            ZStack {
                if camera == .authorized {
                    // Pinch and tap go to the model through the preview's gesture recognizers.
                    CameraView(model: model, torch: torch, viewfinder: viewfinder.value)
                    ViewfinderFrame(focus: viewfinder.value?.focus)
                    Text("scan_focus_hint").font(.caption2).foregroundStyle(.white)
                        .frame(maxHeight: .infinity, alignment: .bottom).padding(8).allowsHitTesting(false)
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
                // No camera, a damaged screen, a code too far away: the device's page shows the text too.
                Button("scan_type_text") { typing = true }
            }
            .padding()
        }
        .task {
            // Asked once, when the scanner first opens (Info.plist NSCameraUsageDescription says why).
            guard camera == .notDetermined else { return }
            let granted = await AVCaptureDevice.requestAccess(for: .video)
            await MainActor.run { camera = granted ? .authorized : .denied }
        }
        .alert("scan_type_text", isPresented: $typing) {
            TextField("scan_type_text_label", text: $typed)
                .textInputAutocapitalization(.characters).autocorrectionDisabled().font(.body.monospaced())
            // The core reads the text in groups, in lower case, with line breaks.
            Button("scan_type_text_submit") { model.submitText(typed); typed = "" }
            Button("action_cancel", role: .cancel) { typed = "" }
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

/// The box to put the QR code in, the rest of the preview dimmed; the ring where the user tapped
/// to focus.
private struct ViewfinderFrame: View {
    let focus: FocusPoint?

    var body: some View {
        GeometryReader { geo in
            let side = min(geo.size.width, geo.size.height) * 0.7
            ZStack {
                Color.black.opacity(0.5)
                RoundedRectangle(cornerRadius: 16).frame(width: side, height: side).blendMode(.destinationOut)
            }
            .compositingGroup()
            .overlay(RoundedRectangle(cornerRadius: 16).stroke(.white, lineWidth: 3).frame(width: side, height: side))
            if let focus {
                Circle().stroke(.white, lineWidth: 2).frame(width: 72, height: 72)
                    .position(x: CGFloat(focus.x) * geo.size.width, y: CGFloat(focus.y) * geo.size.height)
            }
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
    /// The core's second line: after "added by another account", ask for the device instead.
    let hint: UiMessage?
    let transferSerial: String?
    let model: ResetPasswordModel

    var body: some View {
        VStack(spacing: 16) {
            Text(message.text).multilineTextAlignment(.center)
            if let hint { Text(hint.text).multilineTextAlignment(.center) }
            if let transferSerial {
                NavigationLink("transfer_ask") { RequestTransferView(client: app.client, serial: transferSerial) }
                    .buttonStyle(.borderedProminent)
            }
            switch action {
            case .retry, .waitThenRetry: Button("action_retry", action: model.retry).buttonStyle(.borderedProminent)
            case .addDevice:
                NavigationLink("action_add_device") { AddDeviceView(client: app.client) }.buttonStyle(.borderedProminent)
            case .logIn: Button("action_log_in") { Task { await app.loginModel.logout() } }.buttonStyle(.borderedProminent)
            // The account's address is not verified yet: the mailed code first.
            case .verifyEmail:
                NavigationLink("action_verify_email") { VerifyEmailView(client: app.client) }.buttonStyle(.borderedProminent)
            case .scanAgain, .contactOwner, .correctInput, .requestNewCode: EmptyView()
            }
            Button("action_scan_again", action: model.scanAgain)
        }
        .padding()
    }
}

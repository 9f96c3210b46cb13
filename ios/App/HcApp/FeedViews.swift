import HcCore
import HcPresentation
import PhotosUI
import SwiftUI

/// More > Security feed: every event of the account in the core's words, newest first; new ones
/// appear while the screen is shown (the core's feed stream runs between appear and disappear).
struct SecurityFeedView: View {
    @StateObject private var holder: Holder

    @MainActor final class Holder: ObservableObject {
        let model: SecurityFeedModel
        let screen: Observed<SecurityFeedModel.Screen>
        init(client: HcClient) {
            model = SecurityFeedModel(client: client)
            screen = Observed(model.screen)
        }
        deinit { model.close() }
    }

    init(client: HcClient) { _holder = StateObject(wrappedValue: Holder(client: client)) }

    var body: some View {
        SecurityFeedList(model: holder.model, screen: holder.screen)
            .navigationTitle("feed_title")
            .onAppear { holder.model.open() }
            .onDisappear { holder.model.close() }
    }
}

private struct SecurityFeedList: View {
    @EnvironmentObject private var app: AppModel
    let model: SecurityFeedModel
    @ObservedObject var screen: Observed<SecurityFeedModel.Screen>

    var body: some View {
        List {
            if let error = screen.value.error {
                Text(error.text).foregroundStyle(.red)
                if case .some(.logIn) = screen.value.errorAction {
                    Button("action_log_in") { Task { await app.loginModel.logout() } }
                } else {
                    Button("action_retry") { model.open() }
                }
            }
            if screen.value.events.isEmpty && screen.value.error == nil {
                Text("feed_empty").foregroundStyle(.secondary)
            }
            ForEach(screen.value.events) { event in
                VStack(alignment: .leading) {
                    Text(event.message.text)
                    Text(Date(timeIntervalSince1970: TimeInterval(event.atUnix)).formatted(date: .abbreviated, time: .shortened))
                        .font(.caption).foregroundStyle(.secondary)
                }
            }
        }
    }
}

/// More > Device transfers: this account's requests counting down, and the requests for its devices
/// with Approve and Refuse.
struct TransfersView: View {
    @StateObject private var holder: Holder

    @MainActor final class Holder: ObservableObject {
        let model: TransfersModel
        let screen: Observed<TransfersModel.Screen>
        init(client: HcClient) {
            model = TransfersModel(client: client)
            screen = Observed(model.screen)
        }
        deinit { model.close() }
    }

    init(client: HcClient) { _holder = StateObject(wrappedValue: Holder(client: client)) }

    var body: some View {
        TransfersList(model: holder.model, screen: holder.screen)
            .navigationTitle("transfers_title")
            .task { await holder.model.refresh() }
            .refreshable { await holder.model.refresh() }
            .onDisappear { holder.model.close() }
    }
}

private struct TransfersList: View {
    let model: TransfersModel
    @ObservedObject var screen: Observed<TransfersModel.Screen>

    var body: some View {
        List {
            if let error = screen.value.error { Text(error.text).foregroundStyle(.red) }
            if screen.value.empty { Text("transfers_empty").foregroundStyle(.secondary) }
            ForEach(screen.value.rows) { row in
                VStack(alignment: .leading, spacing: 8) {
                    // The countdown in the words is recomputed every second by the model.
                    Text(row.message.text)
                    if row.canDecide {
                        HStack {
                            Button("transfer_approve") { Task { await model.approve(id: row.transfer.id) } }
                                .buttonStyle(.borderedProminent)
                            Button("transfer_refuse", role: .destructive) { Task { await model.refuse(id: row.transfer.id) } }
                                .buttonStyle(.bordered)
                        }
                        .disabled(screen.value.loading)
                    }
                }
            }
        }
    }
}

/// "Ask for this device", from the "added by another account" note: a photo of the QR code the
/// device shows now (or its text) and the label code.
struct RequestTransferView: View {
    @StateObject private var holder: Holder
    @State private var qrText = ""
    @State private var labelCode = ""
    @State private var photo: PhotosPickerItem?

    @MainActor final class Holder: ObservableObject {
        let model: RequestTransferModel
        let screen: Observed<RequestTransferModel.Screen>
        init(client: HcClient, serial: String?) {
            model = RequestTransferModel(client: client, serial: serial)
            screen = Observed(model.screen)
        }
    }

    init(client: HcClient, serial: String? = nil) {
        _holder = StateObject(wrappedValue: Holder(client: client, serial: serial))
    }

    var body: some View {
        RequestTransferForm(model: holder.model, screen: holder.screen, qrText: $qrText, labelCode: $labelCode, photo: $photo)
            .navigationTitle("transfer_request_title")
    }
}

private struct RequestTransferForm: View {
    @EnvironmentObject private var app: AppModel
    let model: RequestTransferModel
    @ObservedObject var screen: Observed<RequestTransferModel.Screen>
    @Binding var qrText: String
    @Binding var labelCode: String
    @Binding var photo: PhotosPickerItem?

    var body: some View {
        Form {
            switch screen.value {
            case let .requested(row):
                Text(row.message.text)
                NavigationLink("transfers_title") { TransfersView(client: app.client) }
            default:
                Text("transfer_request_steps")
                TextField("add_device_label_code", text: $labelCode).textInputAutocapitalization(.characters)
                TextField("scan_type_text_label", text: $qrText, axis: .vertical)
                if case let .failed(message, _, _) = screen.value { Text(message.text).foregroundStyle(.red) }
                PhotosPicker("scan_pick_photo", selection: $photo, matching: .images)
                    .disabled(sending)
                Button("transfer_request_button") {
                    Task { await model.request(qrText: qrText, labelCode: labelCode) }
                }
                .disabled(sending || qrText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            }
        }
        .onChange(of: photo) { item in
            guard let item else { return }
            Task {
                if let data = try? await item.loadTransferable(type: Data.self) {
                    await model.request(image: data, labelCode: labelCode)
                }
            }
        }
    }

    private var sending: Bool { if case .sending = screen.value { return true } else { return false } }
}

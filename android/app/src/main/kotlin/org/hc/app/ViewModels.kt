package org.hc.app

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.viewModelScope
import org.hc.presentation.AccountSecurityModel
import org.hc.presentation.AddDeviceModel
import org.hc.presentation.AuditModel
import org.hc.presentation.DeviceListModel
import org.hc.presentation.ForgotPasswordModel
import org.hc.presentation.LoginModel
import org.hc.presentation.RequestTransferModel
import org.hc.presentation.ResetPasswordModel
import org.hc.presentation.SecurityFeedModel
import org.hc.presentation.TransfersModel
import org.hc.presentation.VerifyEmailModel

// androidx ViewModels only to give the platform-free models (org.hc.presentation) a lifecycle and
// a scope that survive configuration changes. No logic here.

private val Application.client get() = (this as HcApplication).client

class LoginViewModel(app: Application) : AndroidViewModel(app) {
    val model = LoginModel(app.client, viewModelScope)
}

class VerifyEmailViewModel(app: Application) : AndroidViewModel(app) {
    val model = VerifyEmailModel(app.client, viewModelScope)
}

class ForgotPasswordViewModel(app: Application) : AndroidViewModel(app) {
    val model = ForgotPasswordModel(app.client, viewModelScope)
}

class AccountSecurityViewModel(app: Application) : AndroidViewModel(app) {
    val model = AccountSecurityModel(app.client, viewModelScope)
}

class DevicesViewModel(app: Application) : AndroidViewModel(app) {
    val model = DeviceListModel(app.client, viewModelScope)
}

class AddDeviceViewModel(app: Application) : AndroidViewModel(app) {
    val model = AddDeviceModel(app.client, viewModelScope)
}

class AuditViewModel(app: Application) : AndroidViewModel(app) {
    val model = AuditModel(app.client, viewModelScope)
}

class ResetPasswordViewModel(app: Application) : AndroidViewModel(app) {
    val model = ResetPasswordModel(app.client, viewModelScope, haptics = VibratorHaptics(app))

    override fun onCleared() = model.close()
}

class SecurityFeedViewModel(app: Application) : AndroidViewModel(app) {
    val model = SecurityFeedModel(app.client, viewModelScope)

    override fun onCleared() = model.close()
}

class TransfersViewModel(app: Application) : AndroidViewModel(app) {
    val model = TransfersModel(app.client, viewModelScope)

    override fun onCleared() = model.close()
}

/** `serial`: the device of the "added by another account" note the screen was opened from. */
class RequestTransferViewModel(app: Application, handle: SavedStateHandle) : AndroidViewModel(app) {
    val model = RequestTransferModel(app.client, viewModelScope, serial = handle.get<String>("serial"))
}

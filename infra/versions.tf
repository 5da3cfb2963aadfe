terraform {
  # check blocks need >= 1.5; optional() object attributes with defaults need >= 1.3.
  required_version = ">= 1.5.0"

  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # azurerm_function_app_flex_consumption with https_only, always_ready and
      # vnet integration settled during 4.x; 5.0 will rename its storage arguments.
      version = "~> 4.40"
    }
  }
}

provider "azurerm" {
  features {}

  # null = take the subscription from ARM_SUBSCRIPTION_ID / the Azure CLI login.
  subscription_id = var.subscription_id

  # The function's storage account has shared-key access disabled; let the provider use
  # Entra ID for the storage data plane too.
  storage_use_azuread = true
}

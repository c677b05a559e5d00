#!/bin/sh
# azd runs this before every provision (azure.yaml, hooks.preprovision), with the azd environment's values in the
# environment. It does the two things the template cannot do for itself:
#   1. Private networking (ENABLE_PRIVATE_NETWORKING=true) delegates the app's subnet to Microsoft.App/environments,
#      which a fresh subscription has not registered: register the Microsoft.App resource provider and wait.
#   2. After `azd down` the environment's vault stays soft-deleted for 90 days and purge protection forbids purging
#      it, so creating it again under the same name fails. When the vault azd last deployed (AZURE_KEY_VAULT_NAME)
#      is in the deleted state, provision with AZURE_KEY_VAULT_CREATE_MODE=recover, which brings it back with its
#      secrets; otherwise with default.
# Needs the Azure CLI signed in (`az login`); it acts on azd's subscription (AZURE_SUBSCRIPTION_ID). README,
# "Deploy to Azure".
set -eu

have_az() { command -v az >/dev/null 2>&1; }
# Run az against the subscription azd provisions into, whatever az's own default is.
az_sub() {
  if [ -n "${AZURE_SUBSCRIPTION_ID:-}" ]; then az "$@" --subscription "$AZURE_SUBSCRIPTION_ID"; else az "$@"; fi
}

if [ "${ENABLE_PRIVATE_NETWORKING:-false}" = "true" ]; then
  if ! have_az; then
    echo "preprovision: ENABLE_PRIVATE_NETWORKING=true needs the Azure CLI to register Microsoft.App; install it and run 'az login'." >&2
    exit 1
  fi
  echo "preprovision: registering the Microsoft.App resource provider (private networking)"
  az_sub provider register --namespace Microsoft.App --wait
fi

vault="${AZURE_KEY_VAULT_NAME:-}"
if [ -z "$vault" ]; then
  # A first provision: the template names the vault; there is nothing to recover yet.
  exit 0
fi

if ! have_az; then
  echo "preprovision: no Azure CLI, so not checking whether vault $vault is soft-deleted; AZURE_KEY_VAULT_CREATE_MODE stays ${AZURE_KEY_VAULT_CREATE_MODE:-default}." >&2
  exit 0
fi

if answer=$(az_sub keyvault show-deleted --name "$vault" --query name --output tsv 2>&1); then
  echo "preprovision: vault $vault is soft-deleted; recovering it with its secrets (AZURE_KEY_VAULT_CREATE_MODE=recover)"
  azd env set AZURE_KEY_VAULT_CREATE_MODE recover
else
  case "$answer" in
    *NotFound* | *"not found"*)
      azd env set AZURE_KEY_VAULT_CREATE_MODE default ;;
    *)
      # Not signed in, no permission, another subscription...: say so and leave the choice as it is.
      echo "preprovision: could not check whether vault $vault is soft-deleted ($answer); AZURE_KEY_VAULT_CREATE_MODE stays ${AZURE_KEY_VAULT_CREATE_MODE:-default}." >&2 ;;
  esac
fi

# Every input of this module carries a catalog resource, so all of them are declared in
# variables-catalog.tf, generated from catalog/src/resources/*.ts by `npm run variables:module`
# (edit the catalog or the spec in scripts/module-variables.ts, then regenerate). A variable of
# the module's own, with nothing in the catalog to derive it from, is written here by hand.

variable "hub_ready_after" {
  description = "With hub.wait_for_ready = false: a value of whatever makes the Hub ready, such as the id of the resource that installs control_plane_client_certificate in your endpoint's trust store. The module waits for the Hub to turn ready (up to 20 minutes) after it, so hub_status and health describe the ready Hub in the same apply. Never sent anywhere."
  type        = any
  default     = null
}

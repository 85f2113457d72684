/**
 * Messages of the services go-plugin's host (Terraform) calls besides the provider itself:
 * gRPC health checking, the controller's Shutdown, and the stdio stream.
 */
import type { FieldSpec, MessageSpec } from './wire.js';

const f = (no: number, kind: FieldSpec['kind']): FieldSpec => ({ no, kind });

export const HealthCheckRequest: MessageSpec = { service: f(1, 'string') };
export const HealthCheckResponse: MessageSpec = { status: f(1, 'enum') };
export const SERVING = 1;

export const StdioData: MessageSpec = { channel: f(1, 'enum'), data: f(2, 'bytes') };

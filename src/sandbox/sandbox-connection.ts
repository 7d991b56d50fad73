// Connection options for a sandbox described by its state (password and CA included).
import {readFileSync} from 'node:fs'
import type {ConnectionOptions} from '../cluster/connection.js'
import type {SandboxState} from './state.js'

export function sandboxConnection(state: SandboxState, connectTimeoutMs = 3000): ConnectionOptions {
  return {
    seeds: state.nodes.map((n) => ({host: state.host, port: n.port})),
    password: state.password,
    tls: state.tls
      ? {ca: readFileSync(state.tls.caCert, 'utf8'), cert: readFileSync(state.tls.cert, 'utf8'), key: readFileSync(state.tls.key, 'utf8')}
      : undefined,
    source: 'sandbox',
    connectTimeoutMs,
  }
}

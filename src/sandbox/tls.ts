// A throw-away CA and one node certificate (also usable as a client certificate) made with
// openssl, for `sandbox up --tls`. EC P-256 keys: generated in milliseconds, unlike RSA.
import {execFile} from 'node:child_process'
import {chmodSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {PreconditionError} from '../errors.js'

const run = promisify(execFile)

export interface SandboxTlsFiles {
  caCert: string
  /** Node certificate; its extended key usage allows both server and client auth. */
  cert: string
  key: string
}

const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no

[dn]
CN = reshard sandbox

[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[v3_node]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
`

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, {cwd, timeout: 20_000})
  } catch (e) {
    const err = e as NodeJS.ErrnoException & {stderr?: string}
    if (err.code === 'ENOENT') {
      throw new PreconditionError('openssl_missing', '`openssl` was not found on PATH; --tls needs it to make certificates', 'install openssl (e.g. `sudo apt-get install openssl`)')
    }
    throw new PreconditionError('openssl_failed', `openssl ${args[0]} failed: ${(err.stderr ?? err.message).trim().split('\n')[0]}`)
  }
}

/** Make `dir` (created, mode 0700) holding ca.crt, ca.key, node.crt, node.key. */
export async function makeSandboxCertificates(dir: string, days = 30): Promise<SandboxTlsFiles> {
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const cnf = join(dir, 'openssl.cnf')
  writeFileSync(cnf, OPENSSL_CONFIG)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await openssl(['req', '-x509', '-new', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', String(days), '-config', cnf, '-extensions', 'v3_ca', '-subj', '/CN=reshard sandbox CA'], dir)
  await openssl(['req', '-new', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-config', cnf, '-subj', '/CN=reshard-sandbox-node'], dir)
  await openssl(
    ['x509', '-req', '-in', 'node.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-CAserial', 'ca.srl', '-out', 'node.crt', '-days', String(days), '-extfile', cnf, '-extensions', 'v3_node'],
    dir,
  )
  rmSync(join(dir, 'node.csr'), {force: true})
  for (const k of ['ca.key', 'node.key']) chmodSync(join(dir, k), 0o600)
  return {caCert: join(dir, 'ca.crt'), cert: join(dir, 'node.crt'), key: join(dir, 'node.key')}
}

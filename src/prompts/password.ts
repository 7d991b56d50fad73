// The one password question. Masked; the answer is never echoed or logged.
import {password} from '@inquirer/prompts'
import {UsageError} from '../errors.js'

export async function askPassword(message: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new UsageError('--askpass needs a terminal', 'give the password in env REDISCLI_AUTH instead')
  }
  return password({message, mask: '*'})
}

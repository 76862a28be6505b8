import { randomInt } from 'node:crypto';

// Like MLflow's generated run names ("<adjective>-<noun>-<number>"), from our own word lists.
const ADJECTIVES = ['amber', 'bold', 'brave', 'calm', 'clever', 'eager', 'gentle', 'glad', 'keen', 'lively', 'merry', 'quick', 'quiet', 'sunny', 'swift', 'tidy', 'vivid', 'wise'];
const NOUNS = ['ant', 'bee', 'crane', 'deer', 'finch', 'fox', 'hare', 'heron', 'jay', 'lamb', 'lark', 'moth', 'owl', 'seal', 'swan', 'trout', 'wren', 'yak'];

export function randomRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}

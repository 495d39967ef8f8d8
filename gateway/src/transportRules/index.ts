export * from './transportRulesPlugin';

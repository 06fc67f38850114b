export * from './decode';
export * from './route';

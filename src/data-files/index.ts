export { validateFileName, MAX_NAME_BYTES } from './file-name.js';
export { createFile, deleteFile, openDataFile, DATA_FILE_DEFAULTS, type CreateFileOptions, type FileResult } from './data-files.js';
export { sweepStaleTempFiles, tempFileName, TEMP_NAME, STALE_TEMP_AGE_MS, type SweepOptions, type SweepResult } from './temp-files.js';

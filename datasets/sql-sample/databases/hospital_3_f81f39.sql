CREATE TABLE departments (id INTEGER PRIMARY KEY, department_name VARCHAR NOT NULL, floor_number INTEGER NOT NULL, annual_budget DECIMAL(12, 2) NOT NULL);
CREATE TABLE doctors (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, department_id INTEGER NOT NULL REFERENCES departments(id), supervisor_id INTEGER, seniority VARCHAR NOT NULL, hire_date DATE NOT NULL, years_experience INTEGER NOT NULL, is_on_call BOOLEAN NOT NULL);
CREATE TABLE patients (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, birth_date DATE NOT NULL, blood_type VARCHAR, city VARCHAR NOT NULL, insurer VARCHAR);
CREATE TABLE appointments (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients(id), doctor_id INTEGER NOT NULL REFERENCES doctors(id), scheduled_at TIMESTAMP NOT NULL, duration_minutes INTEGER NOT NULL, visit_type VARCHAR NOT NULL, fee DECIMAL(8, 2) NOT NULL, is_paid BOOLEAN NOT NULL);
INSERT INTO departments
VALUES
  (1, 'pathology', 5, 8912000.00),
  (2, 'surgery', 1, 4326000.00),
  (3, 'cardiology', 1, 3636000.00),
  (4, 'emergency', 1, 3567000.00),
  (5, 'dermatology', 1, 1192000.00);
INSERT INTO doctors
VALUES
  (1, 'Dmitri Grayson', 1, NULL, 'resident', '2022-01-23', 5, FALSE),
  (2, 'Dmitri Fairbanks', 2, 1, 'attending', '2000-05-04', 4, FALSE),
  (3, 'Umar Ibarra', 4, 1, 'consultant', '2009-05-26', 16, FALSE),
  (4, 'Dmitri Lindqvist', 4, 3, 'fellow', '2005-04-13', 17, FALSE);
INSERT INTO patients
VALUES
  (
    5001,
    'Rosa Underwood',
    '1973-09-23',
    'A positive',
    'Stonebridge',
    'Evergreen Care'
  ),
  (
    5002,
    'Elena Jansen',
    '2011-08-20',
    'O positive',
    'Clearwater',
    'Harborlight Mutual'
  ),
  (5003, 'Amara Osborne', '1997-03-20', NULL, 'Dunmore', 'Harborlight Mutual'),
  (5004, 'Keiko Jansen', '1953-04-14', 'B positive', 'Eastbrook', NULL),
  (5005, 'Tara Eriksen', '1975-08-01', 'B positive', 'Westmere', 'Summit Health');
INSERT INTO appointments
VALUES
  (1, 5001, 4, '2024-06-07 12:54:27', 15, 'consultation', 835.00, TRUE),
  (2, 5001, 1, '2024-04-08 03:19:46', 65, 'procedure', 63.00, FALSE),
  (3, 5002, 1, '2024-06-07 12:54:27', 45, 'procedure', 63.00, FALSE),
  (4, 5001, 2, '2024-02-12 20:39:18', 100, 'checkup', 1285.50, FALSE),
  (5, 5001, 3, '2024-06-07 12:54:27', 40, 'procedure', 66.00, TRUE),
  (6, 5004, 3, '2024-07-26 05:23:35', 65, 'procedure', 729.00, FALSE),
  (7, 5003, 4, '2024-09-02 14:03:53', 15, 'emergency', 1271.50, TRUE),
  (8, 5005, 1, '2024-05-16 12:52:34', 40, 'procedure', 1413.50, TRUE);

CREATE TABLE departments (id INTEGER PRIMARY KEY, department_name VARCHAR NOT NULL, location VARCHAR NOT NULL, annual_budget DECIMAL(14, 2) NOT NULL);
CREATE TABLE employees (id INTEGER PRIMARY KEY, first_name VARCHAR NOT NULL, last_name VARCHAR NOT NULL, email VARCHAR NOT NULL, department_id INTEGER NOT NULL REFERENCES departments(id), manager_id INTEGER, job_title VARCHAR NOT NULL, hire_date DATE NOT NULL, salary DECIMAL(10, 2) NOT NULL, is_remote BOOLEAN NOT NULL, performance_score DOUBLE);
CREATE TABLE projects (id INTEGER PRIMARY KEY, project_name VARCHAR NOT NULL, department_id INTEGER NOT NULL REFERENCES departments(id), start_date DATE NOT NULL, end_date DATE, budget DECIMAL(12, 2) NOT NULL, status VARCHAR NOT NULL);
CREATE TABLE assignments (id INTEGER PRIMARY KEY, employee_id INTEGER NOT NULL REFERENCES employees(id), project_id INTEGER NOT NULL REFERENCES projects(id), assigned_on DATE NOT NULL, hours_per_week INTEGER NOT NULL, is_lead BOOLEAN NOT NULL);
INSERT INTO departments
VALUES
  (1, 'human resources', 'Dunmore', 10100000.00),
  (2, 'support', 'Fairhaven', 17050000.00),
  (3, 'finance', 'Silverton', 13950000.00),
  (4, 'marketing', 'Fairhaven', 9400000.00),
  (5, 'quality assurance', 'Dunmore', 1700000.00);
INSERT INTO employees
VALUES
  (
    1,
    'Dmitri',
    'Grayson',
    'ada.grayson53@example.net',
    1,
    NULL,
    'manager',
    '2017-11-09',
    223500.00,
    FALSE,
    NULL
  ),
  (
    2,
    'Dmitri',
    'Osborne',
    'mira.grayson28@mail.test',
    2,
    1,
    'manager',
    '2017-06-29',
    114000.00,
    FALSE,
    1.0
  ),
  (
    3,
    'Quinn',
    'Petrov',
    'pablo.moreau67@example.net',
    2,
    2,
    'specialist',
    '2008-11-21',
    69500.00,
    TRUE,
    1.0
  );
INSERT INTO projects
VALUES
  (1, 'The Burning Island', 2, '2022-10-15', '2024-01-29', 970000.00, 'planned'),
  (2, 'The Golden Horizon', 2, '2023-10-17', '2024-02-22', 725000.00, 'planned'),
  (3, 'The Secret Voyage', 3, '2022-10-15', NULL, 1907500.00, 'on hold'),
  (4, 'The Distant Harbor', 1, '2023-08-27', '2024-08-31', 892500.00, 'active');
INSERT INTO assignments
VALUES
  (1, 1, 2, '2021-06-30', 4, FALSE),
  (2, 1, 1, '2023-08-03', 4, TRUE),
  (3, 2, 4, '2023-03-17', 6, FALSE),
  (4, 2, 2, '2023-12-26', 18, FALSE),
  (5, 2, 2, '2021-06-30', 40, FALSE),
  (6, 1, 3, '2021-08-31', 18, FALSE);

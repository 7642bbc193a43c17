CREATE TABLE departments (id INTEGER PRIMARY KEY, department_name VARCHAR NOT NULL, building VARCHAR NOT NULL, founded_year INTEGER NOT NULL);
CREATE TABLE professors (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, department_id INTEGER NOT NULL REFERENCES departments(id), academic_rank VARCHAR NOT NULL, hire_date DATE NOT NULL, salary DECIMAL(10, 2) NOT NULL, has_tenure BOOLEAN NOT NULL);
CREATE TABLE courses (id INTEGER PRIMARY KEY, course_code VARCHAR NOT NULL, course_title VARCHAR NOT NULL, department_id INTEGER NOT NULL REFERENCES departments(id), professor_id INTEGER REFERENCES professors(id), credits INTEGER NOT NULL, max_enrollment INTEGER NOT NULL);
CREATE TABLE students (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, email VARCHAR NOT NULL, enrollment_year INTEGER NOT NULL, major_department_id INTEGER REFERENCES departments(id), gpa DECIMAL(3, 2));
CREATE TABLE enrollments (id INTEGER PRIMARY KEY, student_id INTEGER NOT NULL REFERENCES students(id), course_id INTEGER NOT NULL REFERENCES courses(id), semester VARCHAR NOT NULL, enrolled_at TIMESTAMP NOT NULL, final_grade DOUBLE, passed BOOLEAN NOT NULL);
INSERT INTO departments
VALUES
  (1, 'music', 'Library Annex', 1972),
  (2, 'geology', 'Science Center', 1950),
  (3, 'history', 'North Hall', 1871),
  (4, 'computer science', 'Science Center', 1972);
INSERT INTO professors
VALUES
  (1, 'Ivy Kowalski', 1, 'professor', '2017-10-21', 173500.00, FALSE),
  (2, 'Maya Kowalski', 3, 'associate professor', '1996-03-07', 87500.00, TRUE),
  (3, 'Liam Moreau', 4, 'professor', '1990-10-20', 134000.00, TRUE),
  (4, 'Felix Thorne', 3, 'associate professor', '2010-02-14', 78250.00, TRUE);
INSERT INTO courses
VALUES
  (1, 'LZZ410', 'Social Theory', 3, NULL, 4, 290),
  (2, 'IGG344', 'Data Structures', 1, NULL, 4, 195),
  (3, 'TGA687', 'Field Geology', 4, NULL, 1, 100),
  (4, 'ICS610', 'Cognitive Psychology', 1, 3, 1, 185);
INSERT INTO students
VALUES
  (20240001, 'Amara Ashby', 'clara.lockwood50@example.org', 2022, 1, 2.48),
  (20240002, 'Celine Nakamura', 'esme.castillo91@example.net', 2019, 1, 2.36),
  (20240003, 'Dmitri Underwood', 'mira.bellamy64@example.org', 2021, 2, 1.53),
  (20240004, 'Vera Jansen', 'clara.ingram64@inbox.test', 2016, 2, 2.48),
  (20240005, 'Pablo Ashby', 'wesley.holloway45@mail.test', 2021, 1, 3.24);
INSERT INTO enrollments
VALUES
  (1, 20240003, 2, 'fall', '2024-02-26 23:15:33', 82.0, TRUE),
  (2, 20240003, 2, 'spring', '2024-01-27 13:23:28', 74.0, TRUE),
  (3, 20240002, 1, 'fall', '2024-02-26 23:15:33', 74.0, FALSE),
  (4, 20240004, 2, 'summer', '2023-09-11 23:17:20', 74.0, TRUE);

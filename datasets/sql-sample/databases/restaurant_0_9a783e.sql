CREATE TABLE restaurants (id INTEGER PRIMARY KEY, restaurant_name VARCHAR NOT NULL, city VARCHAR NOT NULL, cuisine VARCHAR NOT NULL, seating_capacity INTEGER NOT NULL, opened_date DATE NOT NULL);
CREATE TABLE staff (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, restaurant_id INTEGER NOT NULL REFERENCES restaurants(id), supervisor_id INTEGER, job_title VARCHAR NOT NULL, hourly_wage DECIMAL(6, 2) NOT NULL, hired_on DATE NOT NULL);
CREATE TABLE dishes (id INTEGER PRIMARY KEY, restaurant_id INTEGER NOT NULL REFERENCES restaurants(id), dish_name VARCHAR NOT NULL, course VARCHAR NOT NULL, price DECIMAL(6, 2) NOT NULL, is_vegetarian BOOLEAN NOT NULL, calories INTEGER);
CREATE TABLE orders (id INTEGER PRIMARY KEY, dish_id INTEGER NOT NULL REFERENCES dishes(id), server_id INTEGER NOT NULL REFERENCES staff(id), ordered_at TIMESTAMP NOT NULL, quantity INTEGER NOT NULL, tip DECIMAL(6, 2), rating DOUBLE);
INSERT INTO restaurants
VALUES
  (1, 'The Hungry Heron', 'Clearwater', 'french', 30, '2018-11-25'),
  (2, 'Piccolo Forno', 'Kingsbury', 'thai', 45, '2008-08-31'),
  (3, 'Golden Noodle', 'Eastbrook', 'japanese', 30, '2023-05-21'),
  (4, 'Sakura Garden', 'Fairhaven', 'thai', 200, '2023-03-08');
INSERT INTO staff
VALUES
  (1, 'Boris Ibarra', 1, NULL, 'server', 23.75, '2015-09-05'),
  (2, 'Ines Brennan', 4, 1, 'dishwasher', 19.75, '2023-09-29'),
  (3, 'Clara Delacroix', 2, 1, 'dishwasher', 19.75, '2023-09-29');
INSERT INTO dishes
VALUES
  (1, 3, 'Tomato Soup', 'main', 5.00, FALSE, 630),
  (2, 2, 'Lemon Tart', 'dessert', 30.50, TRUE, 630),
  (3, 2, 'Beef Tacos', 'drink', 26.00, TRUE, 630),
  (4, 3, 'Veggie Burger', 'main', 5.00, TRUE, 630);
INSERT INTO orders
VALUES
  (1, 1, 3, '2024-07-13 16:17:06', 2, 9.00, 3.5),
  (2, 2, 1, '2024-07-01 11:45:09', 1, 9.00, 1.5),
  (3, 2, 1, '2024-08-07 09:21:14', 1, 21.50, 2.0),
  (4, 1, 3, '2024-07-02 14:54:25', 1, 9.00, 1.0),
  (5, 2, 3, '2024-07-13 16:17:06', 4, 15.50, 4.5),
  (6, 3, 1, '2024-06-18 12:15:26', 5, 24.50, NULL);
